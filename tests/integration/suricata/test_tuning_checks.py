"""The checks of the tuning files are the real tools': suricata -T reading threshold.config
with its suricata.yaml, suricata-update's own parser reading the filter files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata import render
from ids2.suricata.tuning import VALIDATORS

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("suricata") is None or shutil.which("suricata-update") is None,
        reason="needs suricata and suricata-update",
    ),
]
GOOD = "suppress gen_id 1, sig_id 5, track by_src, ip 10.0.0.5\n"
BAD = "threshold gen_id 1, sig_id 5, type limit, track by_nobody, count 1, seconds 60\n"


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    document = {"sensor": {"interface": "lo"}, "paths": {"rendered_dir": str(tmp_path)}}
    config = validate_document(document, "test", Machine(2, 8192, frozenset({"lo"})))
    apply_files(render.render(config), tmp_path)
    return tmp_path


def test_suricata_refuses_a_bad_threshold_line_and_the_old_file_stays(rendered: Path) -> None:
    check = VALIDATORS["threshold.config"]
    apply_files([RenderedFile("threshold.config", GOOD, check)], rendered)
    with pytest.raises(ValidationError, match="suricata -T refused it") as caught:
        apply_files([RenderedFile("threshold.config", BAD, check)], rendered)
    assert "by_nobody" in str(caught.value)
    assert (rendered / "threshold.config").read_text() == GOOD


def test_suricata_yaml_is_tested_with_the_threshold_file_of_its_batch(rendered: Path) -> None:
    """A good suricata.yaml with a bad threshold.config in the same batch: both refused."""
    suricata_yaml = (rendered / "suricata.yaml").read_text()
    with pytest.raises(ValidationError) as caught:
        apply_files(
            [
                RenderedFile("suricata.yaml", suricata_yaml, render.VALIDATORS["suricata.yaml"]),
                RenderedFile("threshold.config", BAD, VALIDATORS["threshold.config"]),
            ],
            rendered,
        )
    assert str(caught.value).count("suricata -T refused it") == 2


@pytest.mark.parametrize("name", ["disable.conf", "enable.conf"])
def test_suricata_updates_parser_checks_the_filter_files(rendered: Path, name: str) -> None:
    good = "2019401\n1:2019402\n2019403, 2019404\nre:heartbleed\ngroup:emerging-dos.rules\n"
    candidate = rendered / name
    candidate.write_text(good)
    assert VALIDATORS[name](candidate) == "suricata-update's parser: ok"
    candidate.write_text(good + "12x\n")
    with pytest.raises(ValidationError, match="suricata-update cannot parse: 12x"):
        VALIDATORS[name](candidate)


def test_suricata_updates_parser_checks_modify_lines(rendered: Path) -> None:
    candidate = rendered / "modify.conf"
    candidate.write_text('2019401 "alert" "drop"\n')
    assert VALIDATORS["modify.conf"](candidate) == "suricata-update's parser: ok"
    candidate.write_text("2019401 alert\n")
    with pytest.raises(ValidationError, match="cannot parse: 2019401 alert"):
        VALIDATORS["modify.conf"](candidate)
