"""Alerts from OpenSearch's daily indices: the query as query DSL, counts as aggregations."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ids2.alerts.alert import CANARY_TAG, Alert, AlertsError
from ids2.alerts.lookup import Wanted, newest
from ids2.alerts.query import Query
from ids2.alerts.summary import TOP, Summary
from ids2.shipping.opensearch.auth import OpenSearchAuthError
from ids2.shipping.opensearch.http import OpenSearchHTTP, OpenSearchHTTPError

BUCKETS_PER_ROW = 10
# The flow id is stored (suricata.eve) but not indexed: it is matched here, among the
# window's newest alerts, at most as many as one search returns.
SCAN_SIZE = 10000
SEARCH_PARAMS = {"ignore_unavailable": "true", "allow_no_indices": "true"}


def query_dsl(query: Query) -> dict[str, Any]:
    """The bool query that selects what `query.matches` would."""
    filters: list[dict[str, Any]] = [
        {"term": {"event.kind": "alert"}},
        {"range": {"@timestamp": {"gte": query.since.isoformat(), "lte": query.until.isoformat()}}},
    ]
    if query.severity is not None:
        filters.append({"term": {"event.severity": query.severity}})
    if query.sid is not None:
        filters.append({"term": {"rule.id": query.sid}})
    if query.signature is not None:
        literal = re.sub(r"([\\*?])", r"\\\1", query.signature)  # the text, not a pattern
        wildcard = {"value": f"*{literal}*", "case_insensitive": True}
        filters.append({"wildcard": {"rule.name": wildcard}})
    if query.ip is not None:
        filters.append(
            {
                "bool": {
                    "should": [
                        {"term": {"source.ip": query.ip}},
                        {"term": {"destination.ip": query.ip}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if query.tag is not None:
        filters.append({"term": {"tags": query.tag}})
    return {"bool": {"filter": filters, "must_not": [{"term": {"tags": CANARY_TAG}}]}}


class OpenSearchAlerts:
    """Searches `PREFIX-*` with a client made like every other ids2 client."""

    def __init__(self, client: OpenSearchHTTP, index_prefix: str) -> None:
        self.client = client
        self.path = f"/{index_prefix}-*/_search"

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.client.request("POST", self.path, body, SEARCH_PARAMS)
        except (OSError, OpenSearchHTTPError, OpenSearchAuthError) as error:
            raise AlertsError(f"OpenSearch at {self.client.origin}: {error}") from None

    def latest(self, query: Query) -> list[Alert]:
        """The newest `query.limit` matching alerts, newest first."""
        answer = self._search(
            {
                "query": query_dsl(query),
                "size": query.limit,
                "sort": [{"@timestamp": "desc"}],
            }
        )
        alerts = (Alert.from_ecs(hit["_source"]) for hit in answer["hits"]["hits"])
        return [alert for alert in alerts if alert is not None]

    def find(self, query: Query, wanted: Wanted) -> Alert | None:
        """The newest alert of the window that is the one wanted; None when none is."""
        dsl = query_dsl(query)
        if wanted.kind == "community_id":
            dsl["bool"]["filter"].append({"term": {"network.community_id": wanted.value}})
        elif wanted.kind == "_id":
            dsl["bool"]["filter"].append({"ids": {"values": [wanted.value]}})
        size = SCAN_SIZE if wanted.kind == "flow_id" else query.limit
        answer = self._search({"query": dsl, "size": size, "sort": [{"@timestamp": "desc"}]})
        found = []
        for hit in answer["hits"]["hits"]:
            alert = Alert.from_ecs(hit["_source"])
            if alert is not None and wanted.matches(alert, hit.get("_id")):
                found.append(alert)
        return newest(found)

    def summary(self, query: Query) -> Summary:
        """The counts, computed by the node (terms aggregations)."""
        # More buckets than shown: Summary settles ties at the cut as it does for the spool.
        ranked = {"size": TOP * BUCKETS_PER_ROW, "order": [{"_count": "desc"}]}
        aggregations = {
            "severity": {"terms": {"field": "event.severity", "size": TOP}},
            # sid and name together: a sid is only unique within one rule source.
            "signatures": {
                "multi_terms": {
                    "terms": [{"field": "rule.id"}, {"field": "rule.name", "missing": ""}],
                    **ranked,
                }
            },
            "sources": {"terms": {"field": "source.ip", **ranked}},
            "destinations": {"terms": {"field": "destination.ip", **ranked}},
        }
        answer = self._search(
            {
                "query": query_dsl(query),
                "size": 0,
                "track_total_hits": True,
                "aggs": aggregations,
            }
        )
        found = answer["aggregations"]

        def counts(name: str) -> Counter[Any]:
            return Counter(
                {bucket["key"]: bucket["doc_count"] for bucket in found[name]["buckets"]}
            )

        signatures: Counter[tuple[str, str]] = Counter(
            {tuple(bucket["key"]): bucket["doc_count"] for bucket in found["signatures"]["buckets"]}
        )
        return Summary(
            total=answer["hits"]["total"]["value"],
            severities=counts("severity"),
            signatures=signatures,
            sources=counts("sources"),
            destinations=counts("destinations"),
        )
