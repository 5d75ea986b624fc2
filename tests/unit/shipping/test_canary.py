"""Canary lines and the spool sink's incremental reading."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pytest import MonkeyPatch

from ids2.shipping import canary_sinks
from ids2.shipping.canary import canary_line, canary_path, send_canary
from ids2.shipping.canary_sinks import SpoolSink


def test_canary_is_a_valid_eve_line() -> None:
    event = json.loads(canary_line("abc", 1764043200.25))
    assert event["timestamp"] == "2025-11-25T04:00:00.250000+0000"
    assert event["event_type"] == "ids2_canary" and event["ids2"] == {"canary_id": "abc"}


def test_send_appends_one_line_per_canary(tmp_path: Path) -> None:
    first, second = send_canary(tmp_path, time.time()), send_canary(tmp_path, time.time())
    lines = canary_path(tmp_path).read_text().splitlines()
    assert [json.loads(line)["ids2"]["canary_id"] for line in lines] == [first, second]


def test_spool_sink_reads_only_new_complete_lines(tmp_path: Path) -> None:
    sink = SpoolSink(tmp_path, "ids2-logs")
    today = tmp_path / f"ids2-logs-{time.strftime('%Y.%m.%d', time.gmtime())}.ndjson"
    today.write_text('{"ids2":{"canary_id":"one"}}\n{"ids2":{"canary_id":"tw')
    assert sink.arrived({"one", "two"}) == {"one"}
    with today.open("a") as handle:
        handle.write('o"}}\n')
    assert sink.arrived({"two"}) == {"two"}
    assert sink.arrived({"one", "two"}) == set()  # already reported, and no new bytes
    today.write_text('{"ids2":{"canary_id":"three"}}\n')  # pruned and started again
    assert sink.arrived({"three"}) == {"three"}


def test_spool_sink_skips_what_the_spool_held_when_it_started(tmp_path: Path) -> None:
    today = tmp_path / f"ids2-logs-{time.strftime('%Y.%m.%d', time.gmtime())}.ndjson"
    today.write_text('{"ids2":{"canary_id":"old"}}\n' + '{"event_type":"alert"}\n' * 1000)
    sink = SpoolSink(tmp_path, "ids2-logs")
    with today.open("a") as handle:
        handle.write('{"ids2":{"canary_id":"new"}}\n')
    assert sink.arrived({"old", "new"}) == {"new"}


def test_spool_sink_reads_a_chunk_at_a_time(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setattr(canary_sinks, "CHUNK_BYTES", 40)
    sink = SpoolSink(tmp_path, "ids2-logs")
    today = tmp_path / f"ids2-logs-{time.strftime('%Y.%m.%d', time.gmtime())}.ndjson"
    lines = ['{"n":1}', "x" * 100, '{"ids2":{"canary_id":"across-chunks"}}', '{"n":2}']
    today.write_text("\n".join(lines) + "\n")
    assert sink.arrived({"across-chunks"}) == {"across-chunks"}
    assert sink.offsets[today] == today.stat().st_size
