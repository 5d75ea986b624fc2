"""The query DSL: the same selection as Query.matches, canaries always left out."""

from __future__ import annotations

from datetime import UTC, datetime

from ids2.alerts.opensearch import query_dsl
from ids2.alerts.query import Query

SINCE, UNTIL = datetime(2026, 12, 3, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC)


def test_unfiltered_is_alerts_of_the_window_without_canaries() -> None:
    dsl = query_dsl(Query(SINCE, UNTIL))
    assert dsl["bool"]["filter"] == [
        {"term": {"event.kind": "alert"}},
        {"range": {"@timestamp": {"gte": SINCE.isoformat(), "lte": UNTIL.isoformat()}}},
    ]
    assert dsl["bool"]["must_not"] == [{"term": {"tags": "ids2-canary"}}]


def test_each_filter_becomes_a_clause() -> None:
    query = Query(SINCE, UNTIL, severity=1, sid="7", signature="a*b?", ip="10.0.0.1", tag="t")
    filters = query_dsl(query)["bool"]["filter"][2:]
    assert filters[:2] == [{"term": {"event.severity": 1}}, {"term": {"rule.id": "7"}}]
    assert filters[2] == {
        "wildcard": {"rule.name": {"value": "*a\\*b\\?*", "case_insensitive": True}}
    }
    assert filters[3]["bool"]["should"] == [
        {"term": {"source.ip": "10.0.0.1"}},
        {"term": {"destination.ip": "10.0.0.1"}},
    ]
    assert filters[4] == {"term": {"tags": "t"}}
