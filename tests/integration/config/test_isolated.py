"""The controllers' config, read in a forked child, is what load_config gives in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.config.isolated import read_config
from ids2.config.load import load_config
from ids2.errors import ConfigError, Ids2Error

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[3] / "etc/ids2/config.yaml"


def test_the_child_returns_the_values_warnings_and_source_load_config_does() -> None:
    isolated, direct = read_config(SHIPPED), load_config(SHIPPED)
    assert (isolated.source, isolated.values, isolated.warnings) == (
        direct.source,
        direct.values,
        direct.warnings,
    )


def test_every_problem_comes_back_as_the_same_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("metrics: {port: -1}\nnot_a_key: 1\n")
    with pytest.raises(ConfigError) as direct:
        load_config(path)
    with pytest.raises(ConfigError) as isolated:
        read_config(path)
    assert len(isolated.value.problems) == 2
    assert (isolated.value.source, isolated.value.problems) == (
        direct.value.source,
        direct.value.problems,
    )


def test_a_validator_that_breaks_is_one_error_naming_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(path: Path) -> None:
        raise RuntimeError("a bug")

    # The child is forked from this process, so it runs the patched function.
    monkeypatch.setattr("ids2.config.load.load_config", broken)
    with pytest.raises(
        Ids2Error, match=f"^{SHIPPED}: validating the configuration failed: RuntimeError: a bug$"
    ):
        read_config(SHIPPED)
