"""A first rule update without a reachable source still gives Suricata rules to load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.suricata.rules import RULES_FILE, RulePaths, RulesError, update_rules
from tests.support.suricata_files import write_rendered

pytestmark = pytest.mark.skipif(
    shutil.which("suricata-update") is None or shutil.which("suricata") is None,
    reason="needs suricata and suricata-update",
)


def offline_sensor(tmp_path: Path) -> tuple[Config, RulePaths]:
    """A sensor whose only rule source cannot be downloaded."""
    document = {
        "sensor": {
            "interface": "lo",
            "unix_socket": str(tmp_path / "run" / "suricata" / "command.socket"),
            "rules": {"sources": [f"file://{tmp_path}/unreachable.rules.tar.gz"]},
        },
        "ramdisk": {"mount_point": str(tmp_path / "ram")},
        "paths": {"rendered_dir": str(tmp_path)},
    }
    config = validate_document(document, "test", Machine(2, 8192, frozenset({"lo"})))
    write_rendered(config)
    return config, RulePaths(data_dir=tmp_path / "data", rules_dir=tmp_path / "rules")


def test_without_a_live_ruleset_a_failed_download_installs_the_distribution_rules(
    tmp_path: Path,
) -> None:
    config, paths = offline_sensor(tmp_path)
    result = update_rules(config, paths)
    assert result["download_failed"].startswith("Failed to fetch file:")
    assert "unreachable.rules.tar.gz" in result["download_failed"]
    assert "the rule download failed" in result["summary"]
    assert "\n" not in result["summary"]
    live = (paths.rules_dir / RULES_FILE).read_text()
    # Suricata's own decoder and protocol-event rules, passed by suricata -T.
    assert result["rules_in_file"] > 100
    assert 'msg:"SURICATA' in live


def test_with_a_live_ruleset_a_failed_download_keeps_it(tmp_path: Path) -> None:
    config, paths = offline_sensor(tmp_path)
    paths.rules_dir.mkdir()
    rule = 'alert icmp any any -> any any (msg:"kept"; sid:9300001; rev:1;)\n'
    (paths.rules_dir / RULES_FILE).write_text(rule)
    with pytest.raises(RulesError, match="the old rules stay in use"):
        update_rules(config, paths)
    assert (paths.rules_dir / RULES_FILE).read_text() == rule
