"""`ids2 alerts` end to end on a small spool: output forms and exit statuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ids2.cli import main
from tests.unit.alerts.documents import ecs_alert


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Today's day file: three alerts (sids 1-3, 90, 30 and 5 minutes old), a flow and a canary."""
    config = tmp_path / "config.yaml"
    config.write_text(f"shipping:\n  spool:\n    directory: {tmp_path / 'spool'}\n")
    monkeypatch.setenv("IDS2_CONFIG", str(config))
    directory = tmp_path / "spool"
    directory.mkdir()
    now = datetime.now(UTC)
    lines = [
        ecs_alert(stamp=f"{now - timedelta(minutes=minutes):%Y-%m-%dT%H:%M:%S.%f}Z", sid=sid)
        for minutes, sid in ((90, "1"), (30, "2"), (5, "3"))
    ]
    lines.append({"@timestamp": f"{now:%Y-%m-%dT%H:%M:%SZ}", "event": {"kind": "event"}})
    lines.append({**ecs_alert(stamp=f"{now:%Y-%m-%dT%H:%M:%SZ}"), "tags": ["ids2-canary"]})
    path = directory / f"ids2-logs-{now:%Y.%m.%d}.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return directory


def test_newest_first_within_the_window_and_limit(
    spool: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "--since", "1h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[2] for line in lines] == ["sid 3", "sid 2"]
    assert main(["alerts", "--limit", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"]["id"] == "3"


def test_summary_as_json(spool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--summary", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == 3 and summary["severity"] == {"2": 3}


def test_nothing_found_is_exit_0(spool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--sid", "99"]) == 0
    assert capsys.readouterr().out == "no alerts\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--since", "3 weeks"], "cannot read '3 weeks' as a time"),
        (["--spool", "/nonexistent/spool"], "cannot read the spool /nonexistent/spool"),
        (["--source", "opensearch"], "shipping.opensearch.endpoint is not set"),
        (["--follow", "--summary"], "cannot go with --summary"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    spool: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["alerts", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_pcap_takes_source_before_or_after_it_and_leaves_alerts_alone() -> None:
    from ids2.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["alerts", "--source", "spool", "pcap", "7", "--output", "x"])
    after = parser.parse_args(["alerts", "pcap", "7", "--output", "x", "--source", "spool"])
    assert before.source == after.source == "spool" and before.identifier == "7"
    plain = parser.parse_args(["alerts", "--since", "2h"])
    assert plain.alerts_command is None and plain.since == "2h"
