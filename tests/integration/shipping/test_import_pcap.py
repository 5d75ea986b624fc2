"""`ids2 import-pcap` with real Suricata on the corpus pcaps and the rendered config, the
events mapped by the real ecs.vrl and shipped by a double of Vector (none on this machine):
suricata-verify's expected alerts under `ids2 alerts --tag`, from the spool and from the
real OpenSearch node; a second import adds nothing; bad files among good ones."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.cli import main
from ids2.config.load import load_config
from ids2.suricata.render import SuricataFacts, render_text
from tests.doubles.vector_imports import VectorImportsDouble
from tests.integration.suricata.test_pcap_replay import CORPUS, MANIFEST
from tests.integration.suricata.verify_checks import applies, failed_checks
from tests.opensearch.target import NodeTarget

pytest.importorskip("vrl_python")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
EVER = ["--since", "2000-01-01"]


def alert_checks(case: dict[str, Any]) -> list[dict[str, Any]]:
    """suricata-verify's checks of the case that count alerts."""
    spec = yaml.safe_load((CORPUS / case["name"] / "test.yaml").read_text())
    return [
        check
        for check in spec["checks"]
        if "filter" in check
        and check["filter"].get("match", {}).get("event_type") == "alert"
        and applies(check["filter"].get("requires"))
    ]


CASES = [case for case in MANIFEST if case["rules"] and alert_checks(case)]


def rules_of(case: dict[str, Any], directory: Path) -> Path:
    rules = directory / f"{case['name']}.rules"
    source = CORPUS / case["name"]
    rules.write_text("".join((source / name).read_text() + "\n" for name in case["rules"]))
    return rules


def pcap_of(case: dict[str, Any]) -> Path:
    return CORPUS / case["name"] / case["pcap"]


@pytest.fixture
def sensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A sensor's config (spool, keeping the raw EVE for the checks) with its rendered
    suricata.yaml and RAM disk; yields the directory that holds them."""
    spool = {"directory": str(tmp_path / "spool"), "keep_raw": True}
    write_config(tmp_path, monkeypatch, {"spool": spool})
    yield tmp_path


@pytest.fixture
def lean_sensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The same with the default spool, its documents without their raw copies."""
    write_config(tmp_path, monkeypatch, {"spool": {"directory": str(tmp_path / "spool")}})
    yield tmp_path


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipping: dict[str, Any]) -> None:
    document = {
        "sensor": {"interface": "lo", "name": "sensor-a", "unix_socket": str(tmp_path / "socket")},
        "ramdisk": {"mount_point": str(tmp_path / "ram")},
        "shipping": shipping,
        "paths": {"rendered_dir": str(tmp_path / "rendered"), "state_dir": str(tmp_path)},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("IDS2_CONFIG", str(path))
    for directory in ("ram", "rendered", "spool"):
        (tmp_path / directory).mkdir(exist_ok=True)
    config = load_config(path)
    suricata_yaml = tmp_path / "rendered/suricata.yaml"
    suricata_yaml.write_text(render_text(config, SuricataFacts.of_this_machine()))


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def stored(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[dict[str, Any]]:
    """Every alert document `ids2 alerts --json` shows."""
    status, out, _ = run(capsys, "alerts", "--json", "--limit", "1000", *EVER, *arguments)
    assert status == 0
    return [] if out == "no alerts\n" else [json.loads(line) for line in out.splitlines()]


def stored_eve(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[dict[str, Any]]:
    """The EVE object of every alert `ids2 alerts --json` shows."""
    return [document["suricata"]["eve"] for document in stored(capsys, *arguments)]


def spool_bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob("*.ndjson"))}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_corpus_pcaps_give_their_expected_alerts_under_their_tag(
    case: dict[str, Any], sensor: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = rules_of(case, sensor)
    with VectorImportsDouble(load_config(sensor / "config.yaml")) as vector:
        status, out, err = run(
            capsys, "import-pcap", str(pcap_of(case)), "--tag", case["name"], "--rules", str(rules)
        )
    assert (status, err) == (0, "")
    assert vector.mapped > 0
    assert list((sensor / "ram/import").iterdir()) == []  # all taken, nothing left behind
    # Nothing of the live Suricata's: no EVE or alerts file on the RAM disk, no socket.
    assert [path.name for path in (sensor / "ram").iterdir()] == ["import"]
    assert not (sensor / "socket").exists()
    alerts = stored_eve(capsys, "--tag", case["name"])
    assert failed_checks(alert_checks(case), alerts) == []
    assert {tuple(alert["tags"]) for alert in alerts} == {(f"pcap:{case['pcap']}", case["name"])}
    assert stored_eve(capsys, "--tag", f"pcap:{case['pcap']}") == alerts
    # It printed how to see them, and `ids2 alerts --summary` of the same alerts.
    first, hint, *_ = out.splitlines()
    assert first.startswith(f"{pcap_of(case)}: ")
    assert hint.startswith(f"their alerts: ids2 alerts --tag {case['name']} --since ")
    status, summary, _ = run(capsys, *shlex.split(hint)[3:], "--summary")
    assert out.endswith(summary)
    assert summary.startswith(f"{len(alerts)} alert(s)\n")
    print(first)


def test_a_second_import_adds_nothing_another_tag_is_another_import(
    lean_sensor: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sensor = lean_sensor
    case = next(case for case in CASES if case["name"] == "http-async")
    rules = str(rules_of(case, sensor))
    config = load_config(sensor / "config.yaml")
    with VectorImportsDouble(config) as vector:
        first = run(capsys, "import-pcap", str(pcap_of(case)), "--tag", "a", "--rules", rules)
        before = spool_bytes(sensor / "spool")
        mapped = vector.mapped
        again = run(capsys, "import-pcap", str(pcap_of(case)), "--tag", "a", "--rules", rules)
        assert spool_bytes(sensor / "spool") == before  # not one byte more
        assert vector.mapped == mapped  # nothing handed to Vector at all
        other = run(capsys, "import-pcap", str(pcap_of(case)), "--tag", "b", "--rules", rules)
    events = int(first[1].split(": ")[1].split()[0])
    assert f"{events} events, 2 alerts; {events} handed to Vector\n" in first[1]
    assert (
        f"{events} events, 2 alerts; 0 handed to Vector, {events} already in the spool\n"
        in (again[1])
    )
    assert f"{events} handed to Vector\n" in other[1]
    assert first[0] == again[0] == other[0] == 0
    assert first[1].split("\n", 1)[1] == again[1].split("\n", 1)[1]  # the same summary
    tagged = {tag: stored(capsys, "--tag", tag) for tag in ("a", "b")}
    assert [len(alerts) for alerts in tagged.values()] == [2, 2]
    for tag, alerts in tagged.items():
        assert {tuple(document["tags"]) for document in alerts} == {("pcap:input.pcap", tag)}
        assert "original" not in alerts[0]["event"]  # the lean spool's documents


def test_bad_files_get_one_line_each_and_the_others_still_import(
    sensor: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(case for case in CASES if case["name"] == "http-post-file")
    text = sensor / "notes.txt"
    text.write_text("not a capture\n")
    empty = sensor / "empty.pcap"
    empty.write_bytes(b"")
    missing = sensor / "missing.pcap"
    with VectorImportsDouble(load_config(sensor / "config.yaml")):
        status, out, err = run(
            capsys,
            "import-pcap",
            str(text),
            str(pcap_of(case)),
            str(missing),
            str(sensor / "ram"),
            str(empty),
            "--tag",
            "mixed",
            "--rules",
            str(rules_of(case, sensor)),
        )
    assert status == 2
    assert err.splitlines() == [
        f"ids2: {text}: not a pcap or pcapng file (it starts with b'not ')",
        f"ids2: {missing}: cannot read it: No such file or directory",
        f"ids2: {sensor / 'ram'}: cannot read it: Is a directory",
        f"ids2: {empty}: not a pcap or pcapng file (it is empty)",
    ]
    assert out.startswith(f"{pcap_of(case)}: ")
    assert failed_checks(alert_checks(case), stored_eve(capsys, "--tag", "mixed")) == []


def test_checksums_a_host_left_to_its_card_raise_nothing(
    sensor: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """http-post-file was captured on loopback (checksums never filled in): with Debian's
    decoder-event rules, `-k none` alone still raised 28 "TCPv6 invalid checksum" alerts."""
    decoder = Path("/etc/suricata/rules/decoder-events.rules")
    assert "TCPv6 invalid checksum" in decoder.read_text()
    case = next(case for case in CASES if case["name"] == "http-post-file")
    with VectorImportsDouble(load_config(sensor / "config.yaml")):
        status, out, _ = run(capsys, "import-pcap", str(pcap_of(case)), "--rules", str(decoder))
    assert status == 0
    assert out.startswith(f"{pcap_of(case)}: 14 events, 0 alerts; 14 handed to Vector\n")
    assert out.endswith("no alerts\n")


def test_without_a_ruleset_a_config_or_a_ram_disk_nothing_runs(
    sensor: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap, rules = str(pcap_of(CASES[0])), str(rules_of(CASES[0], sensor))
    status, out, err = run(capsys, "import-pcap", pcap, "--rules", "/nonexistent")
    assert (status, out, err) == (2, "", "ids2: no ruleset at /nonexistent\n")
    status, out, err = run(capsys, "import-pcap", pcap, "--rules", rules, "--tag", " ")
    assert (status, out, err) == (2, "", "ids2: --tag: expected a name, got an empty one\n")
    (sensor / "ram").rmdir()
    status, out, err = run(capsys, "import-pcap", pcap, "--rules", rules)
    assert (status, out) == (2, "")
    assert err == f"ids2: the RAM disk {sensor / 'ram'} is not there: start the sensor first\n"
    (sensor / "rendered/suricata.yaml").unlink()
    status, out, err = run(capsys, "import-pcap", pcap, "--rules", rules)
    assert (status, out) == (2, "")
    expected = f"{sensor / 'rendered/suricata.yaml'} does not exist yet: run `ids2 deploy` first"
    assert err == f"ids2: {expected}\n"


def test_opensearch_holds_the_expected_alerts_once(
    opensearch: NodeTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ids2.shipping.opensearch.setup import index_template, template_name

    write_config(tmp_path, monkeypatch, {"opensearch": {"endpoint": opensearch.url}})
    opensearch.client().transport.perform_request(
        "PUT", f"/_index_template/{template_name('ids2-logs')}", body=index_template("ids2-logs")
    )
    config = load_config(tmp_path / "config.yaml")
    imports = [(case, str(rules_of(case, tmp_path))) for case in CASES]
    with VectorImportsDouble(config):
        for case, rules in imports:
            arguments = [str(pcap_of(case)), "--tag", case["name"], "--rules", rules]
            assert run(capsys, "import-pcap", *arguments)[0] == 0
        counts = opensearch.counts()
        for case, rules in imports:
            arguments = [str(pcap_of(case)), "--tag", case["name"], "--rules", rules]
            assert run(capsys, "import-pcap", *arguments)[0] == 0
    assert opensearch.counts() == counts  # the same ids: replaced, not added
    for case, _rules in imports:
        alerts = stored_eve(capsys, "--tag", case["name"])
        assert failed_checks(alert_checks(case), alerts) == [], case["name"]
    print(f"{sum(counts.values())} documents in {len(counts)} daily indices: {sorted(counts)}")
