"""Imported events: their ids, their lines, the spool check and the hand-off to Vector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ids2.shipping.imports import (
    Handoff,
    HandoffError,
    document_id,
    import_directory,
    parts,
    spool_files,
    stored_ids,
    tagged_lines,
)

EVENT = {
    "timestamp": "2019-03-04T05:06:07.123456+0000",
    "flow_id": 1234567890123456,
    "event_type": "alert",
    "src_ip": "10.0.0.1",
    "dest_ip": "10.0.0.2",
    "alert": {"signature_id": 1},
}
TAGS = ("pcap:a.pcap", "case-7")


def test_the_id_ignores_what_suricata_numbers_afresh_on_each_run() -> None:
    again = {**EVENT, "flow_id": 987, "parent_id": 654}
    assert document_id(again, TAGS) == document_id(EVENT, TAGS)
    assert document_id(dict(reversed(EVENT.items())), TAGS[::-1]) == document_id(EVENT, TAGS)
    assert len(document_id(EVENT, TAGS)) == 64


def test_a_flow_record_is_the_same_whether_timed_out_or_flushed_at_the_end() -> None:
    """Two runs of Suricata 7.0.10 on http-post-file's pcap wrote this flow either way."""
    flow = {
        "timestamp": "2022-08-26T07:23:08.246487+0000",
        "flow_id": 1,
        "event_type": "flow",
        "src_ip": "::1",
        "flow": {"pkts_toserver": 10, "start": "2022-08-26T07:22:57.370907+0000"},
    }
    timed_out = {**flow, "flow": {**flow["flow"], "reason": "timeout"}}
    flushed = {
        **flow,
        "flow_id": 2,
        "timestamp": "2022-08-26T07:23:09.000000+0000",
        "flow": {**flow["flow"], "reason": "shutdown"},
    }
    assert document_id(timed_out, TAGS) == document_id(flushed, TAGS)
    longer = {**flushed, "flow": {**flushed["flow"], "pkts_toserver": 11}}
    assert document_id(longer, TAGS) != document_id(flushed, TAGS)
    later_alert = {**EVENT, "timestamp": "2019-03-04T05:06:08.000000+0000"}
    assert document_id(later_alert, TAGS) != document_id(EVENT, TAGS)  # only flows


def test_the_id_changes_with_the_event_and_with_the_tags() -> None:
    ids = {
        document_id(EVENT, TAGS),
        document_id({**EVENT, "src_ip": "10.0.0.3"}, TAGS),
        document_id(EVENT, ("pcap:a.pcap",)),
        document_id(EVENT, ("pcap:b.pcap", "case-7")),
    }
    assert len(ids) == 4


def test_each_line_is_the_event_with_its_tags_id_and_import() -> None:
    other = {**EVENT, "src_ip": "10.0.0.9"}
    lines = list(tagged_lines([EVENT, {**EVENT, "flow_id": 5}, other], TAGS, "run-1"))
    assert [doc_id for doc_id, _line in lines] == [
        document_id(EVENT, TAGS),  # the same event twice in one file is one document
        document_id(other, TAGS),
    ]
    doc_id, line = lines[0]
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    tagged = json.loads(line)
    assert tagged["tags"] == list(TAGS)
    assert tagged["ids2"] == {"doc_id": doc_id, "import": "run-1"}
    assert {key: tagged[key] for key in EVENT} == EVENT  # Suricata's fields unchanged


def test_spool_files_are_the_days_of_the_events_in_utc(tmp_path: Path) -> None:
    stamps = [
        "2019-03-04T23:30:00.000000-0100",  # 00:30 UTC on the 5th
        "2019-03-04T05:06:07.123456+0000",
        "2019-03-04T06:00:00.000000+0000",
        "not a time",
    ]
    assert spool_files(tmp_path, "ids2-logs", stamps) == [
        tmp_path / "ids2-logs-2019.03.04.ndjson",
        tmp_path / "ids2-logs-2019.03.05.ndjson",
    ]


def test_stored_ids_finds_ids_in_spool_and_import_files(tmp_path: Path) -> None:
    wanted = {"a" * 64, "b" * 64, "c" * 64}
    spool = tmp_path / "ids2-logs-2019.03.04.ndjson"
    spool.write_text(
        json.dumps({"ids2": {"doc_id": "a" * 64}}, separators=(",", ":"))
        + "\n"
        + json.dumps({"ids2": {"doc_id": "d" * 64}}, separators=(",", ":"))
        + "\n"
        + '{"ids2":{"doc_id":"'
        + "b" * 64
        + '"}}'  # a last line without its newline yet
    )
    waiting = tmp_path / "import.json"
    ((_doc_id, line),) = tagged_lines([EVENT], TAGS, "run-1")
    waiting.write_bytes(line)
    found = stored_ids(
        [spool, waiting, tmp_path / "gone.json"], wanted | {document_id(EVENT, TAGS)}
    )
    assert found == {"a" * 64, "b" * 64, document_id(EVENT, TAGS)}


def test_parts_keep_the_order_and_stay_under_the_size() -> None:
    lines = [b"x" * 40 + b"\n", b"y" * 40 + b"\n", b"z" * 200 + b"\n", b"w\n"]
    assert list(parts(lines, size=100)) == [lines[:2], [lines[2]], [lines[3]]]
    assert list(parts([], size=100)) == []


class Clock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_hand_over_writes_whole_files_where_vector_reads(tmp_path: Path) -> None:
    directory = import_directory(tmp_path)
    handoff = Handoff(directory, room=lambda: 1 << 30)
    lines = [b'{"n":%d}\n' % number for number in range(3)]
    written = handoff.hand_over(lines, "a.pcap-run")
    assert written == [directory / "a.pcap-run-0000.json"]
    assert written[0].read_bytes() == b"".join(lines)
    assert handoff.pending() == written
    assert list(directory.glob("*.part")) == []


def test_hand_over_waits_for_room_and_gives_up_when_vector_takes_nothing(
    tmp_path: Path,
) -> None:
    clock = Clock()
    handoff = Handoff(
        import_directory(tmp_path),
        room=lambda: 0,
        patience_seconds=10,
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    with pytest.raises(HandoffError, match=r"no room on the RAM disk for a\.pcap-run: .*10 s"):
        handoff.hand_over([b"{}\n"], "a.pcap-run")
    assert 10 < clock.now < 11
    assert handoff.pending() == []


def test_waiting_goes_on_while_vector_takes_files(tmp_path: Path) -> None:
    """Progress (an import file taken) restarts the patience; the part then fits."""
    directory = import_directory(tmp_path)
    directory.mkdir()
    earlier = [directory / f"earlier-{number}.json" for number in range(3)]
    for path in earlier:
        path.write_text("{}\n")
    clock = Clock()

    def vector_takes_one_every_8_seconds(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now % 8 < seconds and (left := sorted(directory.glob("earlier-*"))):
            left[0].unlink()

    handoff = Handoff(
        directory,
        room=lambda: 0 if any(path.exists() for path in earlier) else 1 << 20,
        patience_seconds=10,
        sleep=vector_takes_one_every_8_seconds,
        clock=lambda: clock.now,
    )
    (written,) = handoff.hand_over([b"{}\n"], "b")
    assert clock.now > 20  # three times 8 s: longer than the patience, never without progress
    handoff.wait_taken([])
    with pytest.raises(HandoffError, match=r"Vector has taken no import file from .* for 10 s"):
        handoff.wait_taken([written])
