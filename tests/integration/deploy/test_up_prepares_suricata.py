"""`ids2 up` gives Suricata what its unit and the rules timer give it on an appliance."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.deploy.up import ensure_rules, make_runtime_dirs
from ids2.suricata.rules import RULES_FILE
from tests.integration.suricata.test_rules_first_update import offline_sensor, pytestmark

__all__ = ["pytestmark"]


def test_suricata_starts_with_rules_even_when_no_source_downloads(tmp_path: Path) -> None:
    config, paths = offline_sensor(tmp_path)
    first = ensure_rules(config, paths)
    assert "rules installed" in first and "the rule download failed" in first
    assert (paths.rules_dir / RULES_FILE).stat().st_size > 0
    assert ensure_rules(config, paths) == f"{paths.rules_dir / RULES_FILE} installed"


def test_the_command_socket_directory_exists_before_suricata_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _paths = offline_sensor(tmp_path)
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path / "run-ids2"))
    socket = Path(config["sensor"]["unix_socket"])
    assert not socket.parent.exists()
    make_runtime_dirs(config)
    assert socket.parent.is_dir()
    assert (tmp_path / "run-ids2").is_dir()
