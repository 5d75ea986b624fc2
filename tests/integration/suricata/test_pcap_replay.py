"""The rendered suricata.yaml replaying public pcaps: suricata-verify's own expectations.

Each case also runs with Debian's stock /etc/suricata/suricata.yaml: a check that the
stock config fails too (an expectation written for another Suricata build) is reported,
not held against the rendered config; every other check must pass.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.render import SuricataFacts, render_text
from tests.integration.shipping.ecs_vrl import transform
from tests.integration.suricata.verify_checks import applies, failed_checks

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
CORPUS = Path(__file__).resolve().parents[4] / "shared/corpora/suricata-verify"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())["tests"]
STOCK = Path("/etc/suricata/suricata.yaml")


def rendered_config(tmp_path: Path, **sensor: Any) -> Path:
    document = {
        "sensor": {"interface": "lo", **sensor},
        "ramdisk": {"mount_point": str(tmp_path / "ram")},
    }
    config = validate_document(document, "test", Machine(4, 8192, frozenset({"lo"})))
    path = tmp_path / "suricata.yaml"
    path.write_text(render_text(config, SuricataFacts.of_this_machine()))
    (tmp_path / "ram").mkdir(exist_ok=True)
    return path


def replay(
    config: Path, pcap: Path, rules: list[Path], args: list[str], log_dir: Path
) -> list[dict[str, Any]]:
    """Run suricata -r; return every EVE event written to the log or RAM-disk directory."""
    log_dir.mkdir(exist_ok=True)
    rule_file = log_dir / "all.rules"
    rule_file.write_text("".join(rule.read_text() + "\n" for rule in rules))
    command = [
        "suricata",
        "-c",
        str(config),
        "-r",
        str(pcap),
        "-l",
        str(log_dir),
        "-S",
        str(rule_file),
        "--runmode",
        "single",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    files = [*sorted((config.parent / "ram").glob("eve*.json")), log_dir / "eve.json"]
    return [
        json.loads(line)
        for path in files
        if path.exists()
        for line in path.read_text().splitlines()
        if line
    ]


@pytest.mark.parametrize("case", MANIFEST, ids=[case["name"] for case in MANIFEST])
def test_suricata_verify_expectations(case: dict[str, Any], tmp_path: Path) -> None:
    directory = CORPUS / case["name"]
    spec = yaml.safe_load((directory / "test.yaml").read_text())
    if not applies(spec.get("requires")):
        pytest.skip(f"requires {spec['requires']}")
    args = [part for arg in case["args"] or [] for part in shlex.split(arg)]
    rules = [directory / rule for rule in case["rules"]]
    pcap = directory / case["pcap"]
    ours = failed_checks(
        spec["checks"], replay(rendered_config(tmp_path), pcap, rules, args, tmp_path / "rendered")
    )
    stock = failed_checks(spec["checks"], replay(STOCK, pcap, rules, args, tmp_path / "stock"))
    for failure in ours:
        print(f"{case['name']}: fails with the stock config too: {failure}")
    assert [failure for failure in ours if failure not in stock] == []
    print(f"{case['name']}: {len(stock) - len(ours)} check(s) pass only with the rendered config")


@pytest.mark.parametrize("name", ["ids2-hq-01", ""])
def test_every_event_names_its_sensor_down_to_ecs(name: str, tmp_path: Path) -> None:
    """Real Suricata output: the rendered sensor-name (sensor.name, else the hostname) is in
    every EVE event, and the VRL makes it observer.name and observer.hostname."""
    case = next(case for case in MANIFEST if case["name"] == "alert-testmyids-midstream")
    directory = CORPUS / case["name"]
    events = replay(
        rendered_config(tmp_path, name=name),
        directory / case["pcap"],
        [directory / rule for rule in case["rules"]],
        ["--set", "stream.midstream=true"],
        tmp_path / "rendered",
    )
    expected = name or socket.gethostname()
    assert {event["event_type"] for event in events} >= {"alert", "flow"}
    assert {event.get("host") for event in events} == {expected}
    for event in events:
        observer = transform(json.dumps(event))["observer"]
        assert (observer["name"], observer["hostname"]) == (expected, expected)
        assert (observer["type"], observer["vendor"], observer["product"]) == (
            "ids",
            "OISF",
            "Suricata",
        )


def missing(smaller: Any, larger: Any, path: str = "") -> list[str]:
    """Where `smaller` has what `larger` lacks or holds otherwise, objects compared deeply."""
    if isinstance(smaller, dict) and isinstance(larger, dict):
        return [
            miss
            for key, value in smaller.items()
            for miss in missing(value, larger.get(key), f"{path}.{key}")
        ]
    return [] if smaller == larger else [path]


def alert_key(event: dict[str, Any]) -> tuple[Any, ...]:
    alert = event["alert"]
    return (event["timestamp"], event.get("flow_id"), alert["signature_id"], event.get("tx_id"))


@pytest.mark.parametrize("case", MANIFEST, ids=[case["name"] for case in MANIFEST])
def test_alerts_stream_holds_exactly_the_alerts_of_eve(
    case: dict[str, Any], tmp_path: Path
) -> None:
    """alerts.json.*: every alert of the EVE files, nothing else, each with all the EVE
    alert's fields plus its payload, packet and HTTP bodies."""
    directory = CORPUS / case["name"]
    config = rendered_config(tmp_path)
    events = replay(
        config,
        directory / case["pcap"],
        [directory / rule for rule in case["rules"]],
        [part for arg in case["args"] or [] for part in shlex.split(arg)],
        tmp_path / "rendered",
    )
    files = sorted((config.parent / "ram").glob("alerts*"))
    # Named as EveBox reads a spool: NAME.<ten-digit epoch seconds>, expanded by Suricata.
    assert all(re.fullmatch(r"alerts\.json\.\d{10}", path.name) for path in files), files
    copies = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    alerts = sorted((event for event in events if event["event_type"] == "alert"), key=alert_key)
    assert {event["event_type"] for event in copies} <= {"alert"}
    copies.sort(key=alert_key)
    assert len(copies) == len(alerts)
    for alert, copy in zip(alerts, copies, strict=True):
        assert missing(alert, copy) == []
        assert copy["payload"] is not None and copy["packet"]
    print(f"{case['name']}: {len(alerts)} alert(s) in both streams")
