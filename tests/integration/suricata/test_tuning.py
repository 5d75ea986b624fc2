"""Tuning proven on real Suricata: a crafted pcap raises one rule from two sources, then a
suppression, a threshold or a disabled rule is edited into config.yaml and applied the way
`ids2 rules` applies it, and the same pcap is replayed with the rendered files.

The sensor's files are real: config.yaml with a person's comment, suricata.yaml and
threshold.config rendered and checked by suricata -T, the ruleset built by suricata-update
from a local source (file://, so nothing is downloaded).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether
from scapy.packet import Packet
from scapy.utils import wrpcap

from ids2.common.apply import apply_files
from ids2.config.edit import plan_edit, write_atomically
from ids2.config.load import Config, load_config
from ids2.suricata import render, tuning
from ids2.suricata.rules import RULES_FILE, RulePaths, update_rules
from ids2.suricata.tuning_apply import TuningResult, apply_tuning
from ids2.suricata.tuning_edits import suppress, switch, threshold, unsuppress
from tests.integration.suricata.test_pcap_replay import replay

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("suricata") is None or shutil.which("suricata-update") is None,
        reason="needs suricata and suricata-update",
    ),
]
PING, REPLY = 9400001, 9400002
RULES = (
    f'alert icmp any any -> any any (msg:"tuning: echo request"; itype:8; sid:{PING}; rev:1;)\n'
    f'alert icmp any any -> any any (msg:"tuning: echo reply"; itype:0; sid:{REPLY}; rev:1;)\n'
)
NOISY, OTHER = "192.168.1.10", "192.168.1.20"
TARGET = "198.51.100.7"
# Seconds into the capture of each echo request: four in the first minute, two after it.
PING_TIMES = (0, 1, 2, 3, 120, 121)
CONFIG = """\
# The sensor in the lab: a person's comment that an edit must keep.
sensor:
  interface: lo
  unix_socket: {socket}
  rules:
    sources: ["file://{source}"]
ramdisk:
  mount_point: {ram}
paths:
  rendered_dir: {rendered}
"""


def echo_requests() -> list[Packet]:
    """Echo requests from both sources at PING_TIMES, each answered by TARGET."""
    packets = []
    for sequence, offset in enumerate(PING_TIMES):
        for number, source in enumerate((NOISY, OTHER)):
            for packet in (
                Ether()
                / IP(src=source, dst=TARGET)
                / ICMP(type=8, id=0x100 + number, seq=sequence),
                Ether()
                / IP(src=TARGET, dst=source)
                / ICMP(type=0, id=0x100 + number, seq=sequence),
            ):
                packet.time = 1_800_000_000 + offset + number * 0.1
                packets.append(packet)
    return packets


@dataclass
class Sensor:
    """A sensor's files under one directory, and the pcap replayed through it."""

    config_file: Path
    paths: RulePaths
    pcap: Path
    root: Path
    replays: int = 0

    @property
    def config(self) -> Config:
        return load_config(self.config_file)

    def tune(self, change: Any) -> TuningResult:
        """What `ids2 rules ...` does: edit config.yaml in place, then apply it."""
        edit = plan_edit(self.config_file, change)
        write_atomically(self.config_file, edit.new_text)
        return apply_tuning(edit.after, self.paths, previous=edit.before)

    def alerts(self) -> Counter[tuple[int, str]]:
        """(sid, source address) of every alert of a replay with the rendered files."""
        self.replays += 1
        ram = self.root / "rendered" / "ram"
        shutil.rmtree(ram, ignore_errors=True)
        ram.mkdir()
        events = replay(
            self.root / "rendered" / "suricata.yaml",
            self.pcap,
            [self.paths.rules_dir / RULES_FILE],
            # The sensor's command socket belongs to the live Suricata, which is not running.
            ["--set", "unix-command.enabled=no"],
            self.root / f"replay-{self.replays}",
        )
        return Counter(
            (event["alert"]["signature_id"], event["src_ip"])
            for event in events
            if event["event_type"] == "alert"
        )


@pytest.fixture
def sensor(tmp_path: Path) -> Iterator[Sensor]:
    (tmp_path / "source.rules").write_text(RULES)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        CONFIG.format(
            socket=tmp_path / "no-suricata-running.socket",
            source=tmp_path / "source.rules",
            ram=tmp_path / "rendered" / "ram",
            rendered=tmp_path / "rendered",
        )
    )
    config = load_config(config_file)
    # Deploy phase B, for the Suricata files: rendered, checked by suricata -T, installed.
    apply_files([*render.render(config), *tuning.render(config)], tmp_path / "rendered")
    paths = RulePaths(data_dir=tmp_path / "data", rules_dir=tmp_path / "rules")
    update_rules(config, paths)
    pcap = tmp_path / "echo.pcap"
    wrpcap(str(pcap), echo_requests())
    yield Sensor(config_file, paths, pcap, tmp_path)


def test_suppressing_one_source_silences_it_and_keeps_the_other(sensor: Sensor) -> None:
    before = sensor.alerts()
    assert before[(PING, NOISY)] == before[(PING, OTHER)] == len(PING_TIMES)

    result = sensor.tune(lambda c: suppress(c, PING, "by_src", NOISY, "the lab's monitor"))
    assert result.changed == ["threshold.config"]
    assert "Suricata is not running" in result.summary
    assert result.warnings == []
    threshold_config = (sensor.root / "rendered" / "threshold.config").read_text()
    assert f"suppress gen_id 1, sig_id {PING}, track by_src, ip {NOISY}" in threshold_config
    text = sensor.config_file.read_text()
    assert text.startswith("# The sensor in the lab: a person's comment that an edit must keep.")
    assert sensor.config["sensor"]["rules"]["suppress"][0]["reason"] == "the lab's monitor"

    after = sensor.alerts()
    assert after[(PING, NOISY)] == 0
    assert after[(PING, OTHER)] == len(PING_TIMES)
    assert after[(REPLY, TARGET)] == before[(REPLY, TARGET)] == 2 * len(PING_TIMES)

    sensor.tune(lambda c: unsuppress(c, PING, None))
    assert sensor.alerts() == before


def test_suppressing_everywhere_and_by_destination(sensor: Sensor) -> None:
    sensor.tune(lambda c: suppress(c, REPLY, "by_dst", OTHER, "replies to the other host"))
    alerts = sensor.alerts()
    assert alerts[(REPLY, TARGET)] == len(PING_TIMES)  # only those to NOISY are left
    sensor.tune(lambda c: suppress(c, PING, "by_src", "", "everywhere"))
    alerts = sensor.alerts()
    assert alerts[(PING, NOISY)] == alerts[(PING, OTHER)] == 0


@pytest.mark.parametrize(
    ("kind", "count", "expected"),
    [
        # one alert per source and 60 s window: the window of t=0 and the one of t=120
        ("limit", 1, 2),
        # every second match within a window: t=1 and t=3, then t=121
        ("threshold", 2, 3),
        # one alert per window once it saw 3 matches: only the first window has them
        ("both", 3, 1),
    ],
)
def test_a_threshold_counts_per_source_and_window(
    sensor: Sensor, kind: str, count: int, expected: int
) -> None:
    entry = {
        "sid": PING,
        "type": kind,
        "track": "by_src",
        "count": count,
        "seconds": 60,
        "reason": "",
    }
    sensor.tune(lambda c: threshold(c, entry))
    alerts = sensor.alerts()
    assert alerts[(PING, NOISY)] == alerts[(PING, OTHER)] == expected
    assert alerts[(REPLY, TARGET)] == 2 * len(PING_TIMES)  # the other rule is untouched


def test_a_disabled_rule_leaves_the_ruleset_and_enabling_brings_it_back(sensor: Sensor) -> None:
    live = sensor.paths.rules_dir / RULES_FILE
    assert '\nalert icmp any any -> any any (msg:"tuning: echo request"' in "\n" + live.read_text()

    result = sensor.tune(lambda c: switch(c, PING, on=False))
    assert result.ruleset_rebuilt
    assert sorted(result.changed) == ["disable.conf"]
    assert (sensor.root / "rendered" / "disable.conf").read_text().splitlines()[-1] == str(PING)
    rules = live.read_text()
    assert '# alert icmp any any -> any any (msg:"tuning: echo request"' in rules
    alerts = sensor.alerts()
    assert alerts[(PING, NOISY)] == alerts[(PING, OTHER)] == 0
    assert alerts[(REPLY, TARGET)] == 2 * len(PING_TIMES)

    sensor.tune(lambda c: switch(c, PING, on=True))
    assert sensor.config["sensor"]["rules"]["disable"] == []
    assert sensor.config["sensor"]["rules"]["enable"] == []
    assert sensor.alerts()[(PING, NOISY)] == len(PING_TIMES)


def test_a_suppression_of_a_sid_not_loaded_is_a_warning_naming_it(sensor: Sensor) -> None:
    result = sensor.tune(lambda c: suppress(c, 9499999, "by_src", NOISY, "a typo"))
    assert len(result.warnings) == 1
    assert "SID 9499999 is not in the loaded ruleset" in result.warnings[0]
    assert "sensor.rules.suppress[0]" in result.warnings[0]
