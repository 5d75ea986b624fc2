"""WHEN parsing and the filters every source shares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ids2.alerts.alert import Alert, AlertsError
from ids2.alerts.query import Query, parse_when
from tests.unit.alerts.documents import ecs_alert

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", datetime(2026, 12, 4, 11, 45, tzinfo=UTC)),
        ("2h", datetime(2026, 12, 4, 10, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 27, 12, 0, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T08:30:00+01:00", datetime(2026, 12, 1, 7, 30, tzinfo=UTC)),
    ],
)
def test_durations_dates_and_date_times(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["15x", "yesterday", "", "-2h"])
def test_anything_else_is_an_exit_2_error(text: str) -> None:
    with pytest.raises(AlertsError) as caught:
        parse_when(text, NOW)
    assert caught.value.exit_status == 2


def alert(**fields: object) -> Alert:
    found = Alert.from_ecs(ecs_alert(**fields))  # type: ignore[arg-type]
    assert found is not None
    return found


def test_each_filter_and_the_window() -> None:
    window = Query(datetime(2026, 12, 4, 9, tzinfo=UTC), NOW)
    assert window.matches(alert())
    assert not window.matches(alert(stamp="2026-12-04T08:59:59Z"))
    assert Query(window.since, NOW, severity=2).matches(alert())
    assert not Query(window.since, NOW, severity=1).matches(alert())
    assert Query(window.since, NOW, sid="2013028").matches(alert())
    assert not Query(window.since, NOW, sid="1").matches(alert())
    assert Query(window.since, NOW, signature="CURL user").matches(alert())
    assert not Query(window.since, NOW, signature="wget").matches(alert())
    assert Query(window.since, NOW, ip="89.160.20.112").matches(alert())
    assert not Query(window.since, NOW, ip="10.0.0.1").matches(alert())
    assert Query(window.since, NOW, tag="pcap:x").matches(alert(tags=["pcap:x"]))
    assert not Query(window.since, NOW, tag="pcap:x").matches(alert())


def test_canaries_and_other_events_are_no_alerts() -> None:
    assert Alert.from_ecs(ecs_alert(tags=["ids2-canary"])) is None
    flow = ecs_alert()
    flow["event"]["kind"] = "event"
    assert Alert.from_ecs(flow) is None
