"""The offline run's config and the check that a file is a capture at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.offline import PcapError, check_pcap, offline_config
from ids2.suricata.render import SuricataFacts, render_text

PI5 = Machine(4, 8192, frozenset({"eth0"}))


def offline(tmp_path: Path, sensor: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the live config, the offline one) as Suricata would read them."""
    config = validate_document({"sensor": sensor}, "t", PI5)
    text = render_text(config, SuricataFacts(4, False, "sensor-a", run_as="suricata"))
    changed = offline_config(text, tmp_path / "scratch")
    assert changed.startswith("%YAML 1.1\n---\n")
    live: dict[str, Any] = yaml.safe_load(text.split("---", 1)[1])
    return live, yaml.safe_load(changed.split("---", 1)[1])


@pytest.mark.parametrize("pcap", [False, True])
def test_only_eve_into_the_scratch_directory(tmp_path: Path, pcap: bool) -> None:
    live, run = offline(tmp_path, {"pcap": {"enabled": pcap}})
    assert len(live["outputs"]) == 2 + pcap  # eve, the alerts copy and maybe pcap-log
    (output,) = run["outputs"]
    eve = output["eve-log"]
    assert eve["filename"] == str(tmp_path / "scratch/eve.json")
    assert "rotate-interval" not in eve
    assert eve["types"] == live["outputs"][0]["eve-log"]["types"]
    assert eve["community-id"] is True
    assert run["default-log-dir"] == str(tmp_path / "scratch")
    # The run writes into its caller's directory as its caller, not as the sensor's user.
    assert live["run-as"]["user"] == "suricata" and "run-as" not in run


def test_nothing_the_live_suricata_holds(tmp_path: Path) -> None:
    live, run = offline(tmp_path, {"name": "hq-1", "home_networks": ["10.1.0.0/16"]})
    assert live["unix-command"]["enabled"] is True
    assert run["unix-command"] == {"enabled": False}
    assert run["threading"]["set-cpu-affinity"] is False
    # detection as live: the rest is the rendered file's
    for key in ("vars", "app-layer", "detect", "sensor-name", "stream", "default-rule-path"):
        assert run[key] == live[key], key


@pytest.mark.parametrize(
    "magic",
    [
        b"\xd4\xc3\xb2\xa1",  # microseconds, little-endian (what tcpdump writes on a Pi)
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",  # nanoseconds
        b"\xa1\xb2\x3c\x4d",
        b"\x0a\x0d\x0d\x0a",  # pcapng
    ],
)
def test_pcap_and_pcapng_pass(tmp_path: Path, magic: bytes) -> None:
    path = tmp_path / "capture"
    path.write_bytes(magic + bytes(20))
    check_pcap(path)


def test_what_is_not_a_capture_is_named(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(PcapError, match=r"notes\.txt: not a pcap or pcapng file \(it starts"):
        check_pcap(text)
    with pytest.raises(PcapError, match=r"missing\.pcap: cannot read it: No such file"):
        check_pcap(tmp_path / "missing.pcap")
    with pytest.raises(PcapError, match=r": cannot read it: Is a directory"):
        check_pcap(tmp_path)
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(PcapError, match=r"empty\.pcap: not a pcap or pcapng file \(it is empty\)"):
        check_pcap(empty)
