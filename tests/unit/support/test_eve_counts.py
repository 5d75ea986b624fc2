"""Alerts and decoded packets counted from EVE lines as Suricata 7 writes them."""

from __future__ import annotations

import json

import pytest

from tests.support.eve_counts import eve_counts


def event(event_type: str, **fields: object) -> str:
    return json.dumps(
        {"timestamp": "2023-11-14T22:13:20+0000", "event_type": event_type, **fields},
        separators=(",", ":"),
    )


def test_alerts_per_signature_and_the_highest_decoder_count() -> None:
    lines = [
        event("alert", alert={"signature_id": 9300001}),
        event("flow", flow={"pkts_toserver": 6}),
        event("stats", stats={"decoder": {"pkts": 1000}}),
        "",
        event("alert", alert={"signature_id": 9300002}),
        event("alert", alert={"signature_id": 9300001}),
        event("stats", stats={"decoder": {"pkts": 110000}}),
        event("stats", stats={"decoder": {"pkts": 50000}}),  # an earlier file read later
    ]
    counts = eve_counts(lines)
    assert counts.alerts == {9300001: 2, 9300002: 1}
    assert counts.decoded == 110000


def test_no_stats_event_leaves_the_decoded_count_unknown() -> None:
    assert eve_counts([event("alert", alert={"signature_id": 1})]).decoded is None


def test_a_broken_stats_line_is_an_error() -> None:
    with pytest.raises(ValueError):
        eve_counts(['{"event_type":"stats","stats":'])
