"""stack/vector/ecs.vrl compiled and run by the upstream VRL compiler (vrl-python)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.shipping.ecs_vrl import (
    CORPORA,
    ECS_VRL,
    as_instant,
    compare,
    reference_pairs,
    transform,
)

vrl_python = pytest.importorskip("vrl_python")
pytestmark = pytest.mark.integration
GOAL = 0.995
PINNED_VECTOR = "0.50.0"


def test_agreement_with_elastics_reference_mapping() -> None:
    total, misses = 0, []
    for line, expected in reference_pairs():
        fields, differences = compare(transform(line), expected)
        total += fields
        misses.extend(differences)
    agreement = 1 - len(misses) / total
    print(f"ECS agreement with Elastic: {agreement:.1%} of {total} reference fields")
    for miss in misses:
        print("  differs:", miss)
    assert agreement >= GOAL


def corpus_lines() -> list[str]:
    generated = CORPORA / "eve-samples/generated-suricata-7.0.10/all.ndjson"
    lines = [line for line in generated.read_text().splitlines() if line.strip()]
    decoder = json.JSONDecoder()
    for path in sorted((CORPORA / "eve-samples/selks").glob("*.json")):
        text, position = path.read_text(), 0
        while position < len(text.rstrip()):  # pretty-printed events, one after another
            while text[position].isspace():
                position += 1
            event, position = decoder.raw_decode(text, position)
            events = event if isinstance(event, list) else [event]
            # Some SELKS examples are Elasticsearch hits: the EVE event is their _source.
            lines.extend(json.dumps(item.get("_source", item)) for item in events)
    return lines


def test_every_corpus_event_maps_to_valid_typed_fields() -> None:
    lines = corpus_lines()
    types = set()
    for line in lines:
        document = transform(line)
        assert "dead_letter_reason" not in document.get("ids2", {}), line[:200]
        types.add(document["suricata"]["eve"]["event_type"])
        assert as_instant(document["@timestamp"]) is not None
        assert document["event"]["kind"] in ("event", "alert", "metric")
        assert re.fullmatch(r"[0-9a-f]{64}", document["ids2"]["doc_id"])
        for side in ("source", "destination"):
            endpoint = document.get(side, {})
            if "ip" in endpoint:
                ipaddress.ip_address(endpoint["ip"])
            if "port" in endpoint:
                assert isinstance(endpoint["port"], int)
    assert {"alert", "anomaly", "dns", "http", "tls", "ssh", "flow", "fileinfo", "stats"} <= types
    print(f"{len(lines)} corpus events of types {sorted(types)} mapped")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", "not valid JSON"),
        (
            '{"timestamp": "2026-11-25T04:00:00.000000+0000", "event_type": "alert"',
            "not valid JSON",
        ),
        ("[1, 2, 3]", "not a JSON object"),
        ('"a string"', "not a JSON object"),
        ('{"timestamp": "2026-11-25T04:00:00.000000+0000"}', "not EVE: event_type"),
        ('{"timestamp": 42, "event_type": "alert"}', "not EVE: event_type and timestamp"),
        ('{"timestamp": "yesterday", "event_type": "alert"}', "timestamp yesterday is not RFC"),
        ("[" * 200 + "]" * 200, "not a JSON object"),
    ],
)
def test_malformed_lines_go_to_the_dead_letter_with_a_reason(line: str, reason: str) -> None:
    document = transform(line)
    assert reason in document["ids2"]["dead_letter_reason"]
    assert document["message"] == line, "the line itself is kept for the dead letter"


def base(**fields: Any) -> str:
    event = {
        "timestamp": "2026-11-25T04:00:00.123456+0000",
        "event_type": "alert",
        "src_ip": "10.0.0.1",
        "src_port": 1234,
        "dest_ip": "10.0.0.2",
        "dest_port": 80,
        "proto": "TCP",
        **fields,
    }
    return json.dumps(event)


def test_wrong_types_are_kept_out_of_typed_fields() -> None:
    document = transform(
        base(src_port="abc", src_ip="999.1.1.1", dest_port=70000, alert="not an object")
    )
    assert "ip" not in document["source"] and document["source"]["address"] == "999.1.1.1"
    assert "port" not in document["source"] and "port" not in document["destination"]
    assert document["suricata"]["eve"]["src_port"] == "abc"


def test_deep_nesting_inside_an_event_is_cut_not_fatal() -> None:
    document = transform(base(deep=json.loads("[" * 150 + "]" * 150)))
    assert "dead_letter_reason" not in document["ids2"]
    assert document["source"]["ip"] == "10.0.0.1"


def test_hostile_values_survive_intact() -> None:
    huge = "A" * 1_000_000
    weird = "é漢字\u0000\u202e\x07"
    document = transform(
        base(http={"hostname": weird, "url": "/" + huge, "http_user_agent": weird})
    )
    assert document["url"]["original"] == "/" + huge
    assert document["url"]["domain"] == weird
    assert document["user_agent"]["original"] == weird


def test_community_id_is_computed_when_missing() -> None:
    """Suricata's own community ids are the reference for the computed ones.

    Only lines straight from Suricata count: SELKS's examples went through Logstash. (The
    agreement test also compares network.community_id with the ids Elastic computes for
    the reference lines that lack one.)
    """
    checked = 0
    generated = CORPORA / "eve-samples/generated-suricata-7.0.10/all.ndjson"
    for line in [*generated.read_text().splitlines(), *(line for line, _ in reference_pairs())]:
        event = json.loads(line)
        if "community_id" not in event or event.get("proto") not in ("TCP", "UDP"):
            continue
        suricatas = event.pop("community_id")
        computed = transform(json.dumps(event))["network"]["community_id"]
        assert computed == suricatas, line[:300]
        checked += 1
    assert checked >= 2


def test_distinguished_names_keep_commas_inside_values() -> None:
    dn = "C=US, O=Acme U.S.A., INC., OU=Web, OU=Edge, CN=www.example.com, 1.2.3=odd"
    tls = {"subject": dn, "issuerdn": "CN=Example CA, O=Example, Inc.", "version": "SSLv3"}
    document = transform(base(event_type="tls", tls=tls))
    subject = document["tls"]["server"]["x509"]["subject"]
    assert subject == {
        "country": ["US"],
        "organization": ["Acme U.S.A., INC."],
        "organizational_unit": ["Web", "Edge"],
        "common_name": ["www.example.com"],
    }
    assert document["tls"]["server"]["x509"]["issuer"]["organization"] == ["Example, Inc."]
    assert (document["tls"]["version_protocol"], document["tls"]["version"]) == ("ssl", "3")


def test_rule_metadata_is_promoted_without_overwriting_the_alert() -> None:
    metadata = {
        "created_at": ["2019_06_01"],
        "cve": ["2019-91325"],
        "mitre_tactic_id": ["TA0001"],
        "mitre_technique_id": ["T1190"],
        "signature": ["from metadata"],
        "updated_at": ["not a date"],
    }
    alert = {"signature_id": 1, "signature": "the rule", "severity": 2, "metadata": metadata}
    document = transform(base(alert=alert))
    stored = document["suricata"]["eve"]["alert"]
    assert as_instant(stored["created_at"]) == as_instant("2019-06-01T00:00:00Z")
    assert stored["cve"] == ["2019-91325"] and stored["signature"] == "the rule"
    assert stored["metadata"] == {"signature": ["from metadata"], "updated_at": ["not a date"]}
    assert document["threat"] == {"tactic": {"id": ["TA0001"]}, "technique": {"id": ["T1190"]}}


def test_canary_is_marked_for_filtering() -> None:
    line = json.dumps(
        {
            "timestamp": "2026-11-25T04:00:00.000000+0000",
            "event_type": "ids2_canary",
            "host": "pi",
            "ids2": {"canary_id": "c0ffee"},
        }
    )
    document = transform(line)
    assert document["event"]["dataset"] == "ids2.canary"
    assert document["tags"] == ["ids2-canary"]
    assert document["ids2"]["canary_id"] == "c0ffee"


def test_document_id_is_deterministic_per_line() -> None:
    first, again, other = transform(base()), transform(base()), transform(base(src_port=1))
    assert first["ids2"]["doc_id"] == again["ids2"]["doc_id"] != other["ids2"]["doc_id"]


def test_an_imported_event_keeps_its_tags_and_brings_its_id() -> None:
    """ids2 import-pcap's additions: its tags (strings only) and a 64-hex id, which wins
    over the line's hash; anything else there is left alone."""
    given = "ab" * 32
    document = transform(base(tags=["pcap:a.pcap", 7, "case"], ids2={"doc_id": given}))
    assert document["tags"] == ["pcap:a.pcap", "case"]
    assert document["ids2"]["doc_id"] == given
    for odd in ("AB" * 32, "ab" * 31, 12):
        line = base(ids2={"doc_id": odd})
        assert transform(line)["ids2"]["doc_id"] == hashlib.sha256(line.encode()).hexdigest()
    assert "tags" not in transform(base())


def test_only_functions_of_the_pinned_vector_release() -> None:
    listed = CORPORA / f"vrl-functions/vector-v{PINNED_VECTOR}-documented-vrl-functions.txt"
    known = set(listed.read_text().split())
    source = re.sub(r"#.*", "", ECS_VRL.read_text())
    source = re.sub(r"\"(?:\\.|[^\"\\])*\"|r'[^']*'", '""', source)
    called = set(re.findall(r"\b([a-z_][a-z0-9_]*)!?\s*\(", source)) - {"if"}
    assert called <= known, f"not in Vector {PINNED_VECTOR}: {sorted(called - known)}"


def test_compiles_with_the_upstream_compiler() -> None:
    assert vrl_python.VRLRuntime().compile(Path(ECS_VRL).read_text()) is True
