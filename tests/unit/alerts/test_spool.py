"""The spool reader: day files of the window, only marked lines parsed, bad lines skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ids2.alerts import spool
from ids2.alerts.alert import AlertsError
from ids2.alerts.query import Query
from tests.unit.alerts.documents import ecs_alert

WINDOW = Query(datetime(2026, 12, 3, tzinfo=UTC), datetime(2026, 12, 4, 23, tzinfo=UTC))


def write(path: Path, *lines: str) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_alerts_of_the_window_days_only(tmp_path: Path) -> None:
    for day in ("2026.12.02", "2026.12.03", "2026.12.04"):
        stamp = f"{day.replace('.', '-')}T10:00:00Z"
        write(tmp_path / f"ids2-logs-{day}.ndjson", json.dumps(ecs_alert(stamp=stamp)))
    (tmp_path / "dead-letter-2026.12.03.ndjson").write_text(json.dumps(ecs_alert()) + "\n")
    found = list(spool.read_spool(tmp_path, "ids2-logs", WINDOW))
    assert [alert.time.day for alert in found] == [3, 4]


def test_only_lines_with_the_marker_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = {"event": {"kind": "metric"}, "stats": {"detect": {"alert": 3}}, "type": "alert"}
    original = {"event": {"kind": "event", "original": '{"event":{"kind":"alert"}}'}}
    alert = json.dumps(ecs_alert(stamp="2026-12-04T10:00:00Z"))
    compact = json.dumps(ecs_alert(stamp="2026-12-04T11:00:00Z"), separators=(",", ":"))
    path = tmp_path / "ids2-logs-2026.12.04.ndjson"
    write(
        path, json.dumps(stats), json.dumps(original), alert, compact, '{"kind":"alert"', alert[:40]
    )
    parsed: list[bytes] = []
    real_loads = json.loads
    monkeypatch.setattr(spool.json, "loads", lambda line: parsed.append(line) or real_loads(line))
    assert len(list(spool.read_spool(tmp_path, "ids2-logs", WINDOW))) == 2
    assert sorted(parsed) == sorted([alert.encode(), compact.encode(), b'{"kind":"alert"'])


def test_lines_across_chunk_boundaries_and_a_last_line_without_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool, "CHUNK_BYTES", 64)
    alert = json.dumps(ecs_alert(stamp="2026-12-04T10:00:00Z"))
    path = tmp_path / "ids2-logs-2026.12.04.ndjson"
    path.write_text("\n".join([alert] * 5))
    assert len(list(spool.read_spool(tmp_path, "ids2-logs", WINDOW))) == 5


def test_an_unreadable_spool_is_an_exit_2_error(tmp_path: Path) -> None:
    with pytest.raises(AlertsError, match="cannot read the spool") as caught:
        list(spool.read_spool(tmp_path / "missing", "ids2-logs", WINDOW))
    assert caught.value.exit_status == 2
