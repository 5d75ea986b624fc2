"""Rule update against a running Suricata: test, install, live reload; a bad one changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.suricata.rules import RulePaths, RulesError, update_rules
from ids2.suricata.socket import SuricataSocket
from tests.integration.suricata.test_live_capture import Quiet, wait_capturing
from tests.support.netns import HOST_ADDRESS, VethNamespace, veth_namespace
from tests.support.suricata_files import write_rendered

pytestmark = [
    pytest.mark.capture,
    pytest.mark.skipif(shutil.which("suricata-update") is None, reason="needs suricata-update"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and af-packet"),
]
RULE_A = 'alert icmp any any -> any any (msg:"ids2 test: ping"; itype:8; sid:9200001; rev:1;)'
RULE_B = (
    'alert http any any -> any any (msg:"ids2 test: new rule"; http.uri; '
    'content:"/after-reload"; sid:9200002; rev:1;)'
)
BROKEN = 'alert http any any -> any any (msg:"broken"; no_such_keyword; sid:9200003; rev:1;)'


@pytest.fixture
def sensor(tmp_path: Path) -> Iterator[tuple[VethNamespace, Config, RulePaths]]:
    with veth_namespace() as network:
        ram, rules = tmp_path / "ram", tmp_path / "rules"
        ram.mkdir()
        rules.mkdir()
        (rules / "suricata.rules").write_text(RULE_A + "\n")
        source = tmp_path / "source.rules"
        document = {
            "sensor": {
                "interface": network.host_interface,
                "workers": 1,
                "unix_socket": str(tmp_path / "suricata.socket"),
                "rules": {"sources": [f"file://{source}"]},
            },
            "ramdisk": {"mount_point": str(ram)},
            "paths": {"rendered_dir": str(tmp_path)},
        }
        machine = Machine(os.cpu_count() or 1, 8192, frozenset({network.host_interface}))
        config = validate_document(document, "test", machine)
        write_rendered(config)
        with running_suricata(network, config, rules, tmp_path):
            yield network, config, RulePaths(data_dir=tmp_path / "data", rules_dir=rules)


@contextmanager
def running_suricata(
    network: VethNamespace,
    config: Config,
    rules_dir: Path,
    log_dir: Path,
    prefix: Sequence[str] = (),
    umask: int = -1,
) -> Iterator[subprocess.Popen[str]]:
    """Suricata capturing on the namespace's veth with the rendered suricata.yaml and the
    ruleset of `rules_dir`, until the block ends; its process. `prefix` and `umask` start
    it the way a unit would (tests.support.sandbox)."""
    rendered = Path(config["paths"]["rendered_dir"]) / "suricata.yaml"
    process = subprocess.Popen(
        [
            *prefix,
            *("suricata", "-c", str(rendered), "--af-packet", "-l", str(log_dir)),
            *("--set", f"default-rule-path={rules_dir}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        umask=umask,
    )
    try:
        wait_capturing(network, Path(config["sensor"]["unix_socket"]), process, 60)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def loaded(config: Config) -> int:
    with SuricataSocket(Path(config["sensor"]["unix_socket"])) as control:
        return int(control.command("ruleset-stats")[0]["rules_loaded"])


def signature_ids(ram: Path) -> set[int]:
    return {
        event["alert"]["signature_id"]
        for path in ram.glob("eve*.json")
        for event in map(json.loads, path.read_text().splitlines())
        if event.get("event_type") == "alert"
    }


def test_update_reloads_live_and_a_bad_one_changes_nothing(
    sensor: tuple[VethNamespace, Config, RulePaths], tmp_path: Path
) -> None:
    network, config, paths = sensor
    assert loaded(config) == 1
    (tmp_path / "source.rules").write_text(RULE_A + "\n" + RULE_B + "\n")
    result = update_rules(config, paths)
    # suricata-update merges Suricata's own protocol-event rules with our source.
    assert result["rules_failed"] == 0
    assert result["rules_loaded"] == result["rules_in_file"] > 2
    assert "sid:9200002" in (paths.rules_dir / "suricata.rules").read_text()
    assert loaded(config) == result["rules_loaded"]
    server = ThreadingHTTPServer((HOST_ADDRESS, 8080), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        network.run(
            "curl", "-s", "-o", "/dev/null", f"http://{HOST_ADDRESS}:8080/after-reload", timeout=10
        )
    finally:
        server.shutdown()
        server.server_close()
    deadline = time.monotonic() + 10
    while 9200002 not in signature_ids(tmp_path / "ram") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert 9200002 in signature_ids(tmp_path / "ram"), "the reloaded rule must fire, live"

    good = (paths.rules_dir / "suricata.rules").read_text()
    (tmp_path / "source.rules").write_text(RULE_A + "\n" + BROKEN + "\n")
    with pytest.raises(RulesError, match="fails suricata -T, the old one stays"):
        update_rules(config, paths)
    assert (paths.rules_dir / "suricata.rules").read_text() == good
    assert loaded(config) == result["rules_loaded"]
