"""Tuning applied to a running Suricata: reloaded live over the command socket, never a
restart, with what Suricata then reports read back (ruleset-stats, ruleset-failed-rules,
ruleset-reload-time)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ids2.config.edit import plan_edit, write_atomically
from ids2.config.load import load_config
from ids2.suricata.rules import RulePaths, update_rules
from ids2.suricata.socket import SuricataSocket
from ids2.suricata.tuning_apply import TuningResult, apply_tuning
from ids2.suricata.tuning_edits import suppress, switch
from tests.integration.suricata.test_rules_reload import running_suricata
from tests.support.netns import HOST_ADDRESS, PEER_ADDRESS, VethNamespace, veth_namespace
from tests.support.suricata_files import write_rendered

pytestmark = [
    pytest.mark.capture,
    pytest.mark.skipif(shutil.which("suricata-update") is None, reason="needs suricata-update"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and af-packet"),
]
PING, REPLY = 9400101, 9400102
RULES = (
    f'alert icmp any any -> any any (msg:"live tuning: request"; itype:8; sid:{PING}; rev:1;)\n'
    f'alert icmp any any -> any any (msg:"live tuning: reply"; itype:0; sid:{REPLY}; rev:1;)\n'
)


@dataclass
class LiveSensor:
    network: VethNamespace
    config_file: Path
    paths: RulePaths
    ram: Path

    def tune(self, change: Any) -> TuningResult:
        """What `ids2 rules ...` does: edit config.yaml, then apply it."""
        edit = plan_edit(self.config_file, change)
        write_atomically(self.config_file, edit.new_text)
        return apply_tuning(edit.after, self.paths, previous=edit.before)

    def command(self, name: str) -> Any:
        with SuricataSocket(Path(load_config(self.config_file)["sensor"]["unix_socket"])) as s:
            return s.command(name)

    def alerts(self) -> list[tuple[int, str]]:
        return [
            (event["alert"]["signature_id"], event["src_ip"])
            for path in sorted(self.ram.glob("eve*.json"))
            for event in map(json.loads, path.read_text().splitlines())
            if event.get("event_type") == "alert"
        ]

    def ping_until_replies_alert(self, pings: int) -> list[tuple[int, str]]:
        """The alerts `pings` echo requests from the namespace raise, waited for until
        Suricata has logged the alert of every reply, so what is missing is missing."""
        seen = len(self.alerts())
        self.network.run("ping", "-c", str(pings), "-i", "0.2", HOST_ADDRESS)
        deadline = time.monotonic() + 60  # generous: the machine is shared
        while time.monotonic() < deadline:
            new = self.alerts()[seen:]
            if new.count((REPLY, HOST_ADDRESS)) >= pings:
                return new
            time.sleep(0.2)
        raise AssertionError(f"Suricata logged no alert for {pings} replies: {new}")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSensor]:
    with veth_namespace() as network:
        ram, rendered = tmp_path / "ram", tmp_path / "rendered"
        ram.mkdir()
        (tmp_path / "source.rules").write_text(RULES)
        config_file = tmp_path / "config.yaml"
        config_file.write_text(
            f"sensor:\n  interface: {network.host_interface}\n  workers: 1\n"
            f"  unix_socket: {tmp_path / 'suricata.socket'}\n"
            f"  rules:\n    sources: ['file://{tmp_path / 'source.rules'}']\n"
            f"ramdisk:\n  mount_point: {ram}\npaths:\n  rendered_dir: {rendered}\n"
        )
        config = load_config(config_file)
        write_rendered(config)
        paths = RulePaths(data_dir=tmp_path / "data", rules_dir=tmp_path / "rules")
        update_rules(config, paths)
        with running_suricata(network, config, paths.rules_dir, tmp_path):
            yield LiveSensor(network, config_file, paths, ram)


def test_a_disabled_rule_is_one_fewer_in_the_running_suricata(live: LiveSensor) -> None:
    loaded = int(live.command("ruleset-stats")[0]["rules_loaded"])
    reloaded_at = live.command("ruleset-reload-time")

    result = live.tune(lambda c: switch(c, PING, on=False))

    assert result.ruleset_rebuilt
    assert result.reload["rules_loaded"] == loaded - 1
    assert result.reload["rules_failed"] == 0
    assert result.reload["failed_rules"] == []
    assert result.reload["reload_time"] != reloaded_at
    assert int(live.command("ruleset-stats")[0]["rules_loaded"]) == loaded - 1
    new = live.ping_until_replies_alert(3)
    assert (PING, PEER_ADDRESS) not in new


def test_a_suppression_takes_effect_in_the_running_suricata(live: LiveSensor) -> None:
    assert (PING, PEER_ADDRESS) in live.ping_until_replies_alert(3)
    loaded = int(live.command("ruleset-stats")[0]["rules_loaded"])

    result = live.tune(lambda c: suppress(c, PING, "by_src", PEER_ADDRESS, "the namespace"))

    assert not result.ruleset_rebuilt
    assert result.summary.startswith("reloaded live")
    assert result.reload["rules_loaded"] == loaded
    new = live.ping_until_replies_alert(3)
    assert (PING, PEER_ADDRESS) not in new
