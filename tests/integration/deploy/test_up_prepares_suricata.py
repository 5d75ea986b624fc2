"""`ids2 up` gives Suricata what its unit and the rules timer give it on an appliance."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
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


@pytest.mark.parametrize("enabled", [False, True])
def test_the_pcap_ring_is_made_only_when_it_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path / "run-ids2"))
    ring = tmp_path / "pcap"
    sensor = {"interface": "lo", "unix_socket": str(tmp_path / "run/command.socket")}
    document = {"sensor": {**sensor, "pcap": {"enabled": enabled, "directory": str(ring)}}}
    make_runtime_dirs(validate_document(document, "test", Machine(2, 8192, frozenset({"lo"}))))
    assert ring.is_dir() is enabled
    assert not enabled or ring.stat().st_mode & 0o007 == 0  # whole packets: not for others
