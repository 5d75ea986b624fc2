"""Run stack/vector/ecs.vrl with vrl-python (the upstream VRL compiler) and compare to Elastic."""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
ECS_VRL = ROOT / "stack/vector/ecs.vrl"
CORPORA = ROOT.parent / "shared/corpora"
DATE_FIELDS = {
    "@timestamp",
    "event.start",
    "event.end",
    "tls.server.not_before",
    "tls.server.not_after",
    "tls.server.x509.not_before",
    "tls.server.x509.not_after",
    "suricata.eve.alert.created_at",
    "suricata.eve.alert.updated_at",
}
# Elastic splits a distinguished name before each attribute key and keeps the comma that
# separated it: "C=US, O=Acme, Inc., CN=x" gives ["US,"] and ["Acme, Inc.,"]. ids2 splits at
# the same places and drops that separator; the value is the same name.
X509_NAME = re.compile(r"^tls\.server\.x509\.(subject|issuer)\.")
# Added by Elastic's test harness or GeoIP/ASN enrichment, not by the EVE-to-ECS mapping.
NOT_MAPPING = re.compile(r"(^|\.)(geo|as)\.|^event\.(created|ingested)$|^tags$")
# Elastic's reference files span ECS 8.5 to 8.17; ours is 8.11: the version is not mapping.
ECS_VERSION = "ecs.version"
SET_FIELDS = {"related.ip", "related.hosts", "related.hash", "dns.resolved_ip"}


@functools.cache
def runtime() -> Any:
    import vrl_python

    return vrl_python.VRLRuntime(timezone="UTC")


def transform(line: str) -> dict[str, Any]:
    """The document ecs.vrl makes from one EVE line, as Vector's file source hands it over."""
    event = {"message": line, "file": "/mnt/ram_logs/eve.json", "host": "sensor"}
    result: dict[str, Any] = runtime().execute(ECS_VRL.read_text(), event).processed_event
    return result


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}{key}.")
    else:
        yield prefix[:-1], value


def as_instant(value: Any) -> datetime.datetime | None:
    """Both VRL's rendering ('2018-10-03 14:42:44.836744 UTC') and ISO 8601, to the ms."""
    text = str(value).replace(" UTC", "Z").replace(" ", "T")
    try:
        instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def same(key: str, ours: Any, theirs: Any) -> bool:
    if key in SET_FIELDS and isinstance(ours, list) and isinstance(theirs, list):
        return sorted(map(str, ours)) == sorted(map(str, theirs))
    if key in DATE_FIELDS:
        return as_instant(ours) is not None and as_instant(ours) == as_instant(theirs)
    if X509_NAME.match(key) and isinstance(theirs, list):
        return bool(ours == [str(value).removesuffix(",") for value in theirs])
    return bool(ours == theirs)


def reference_pairs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(EVE line, Elastic's document) for each of the 63 reference lines."""
    for expected in sorted((CORPORA / "elastic-suricata").glob("*.log-expected.json")):
        log = expected.with_name(expected.name.removesuffix("-expected.json"))
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        documents = json.loads(expected.read_text())["expected"]
        yield from zip(lines, documents, strict=True)


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[int, list[str]]:
    """(reference fields, disagreements) for one document."""
    mine = dict(flatten(ours))
    fields, misses = 0, []
    for key, value in flatten(theirs):
        if NOT_MAPPING.search(key) or key == ECS_VERSION:
            continue
        fields += 1
        if not same(key, mine.get(key), value):
            misses.append(
                f"{key}: ours {json.dumps(mine.get(key))[:80]} theirs {json.dumps(value)[:80]}"
            )
    return fields, misses
