"""What goes to the SD card in spool mode: lean documents unless shipping.spool.keep_raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vrl_python

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.shipping.vector import LEAN_VRL, vector_config
from tests.integration.shipping.ecs_vrl import CORPORA, flatten, transform

pytestmark = pytest.mark.integration
EVE_FILES = sorted((CORPORA / "eve-samples/generated-suricata-7.0.10").rglob("*.json"))
MACHINE = Machine(4, 8192, frozenset({"eth0"}))


def eve_lines() -> list[str]:
    return [line for path in EVE_FILES for line in path.read_text().splitlines() if line.strip()]


def lean(document: dict[str, object]) -> dict[str, object]:
    result: dict[str, object] = (
        vrl_python.VRLRuntime(timezone="UTC").execute(LEAN_VRL, document).processed_event
    )
    return result


def test_the_lean_spool_keeps_every_ecs_field_in_under_half_the_bytes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = eve_lines()[:1000]
    assert len(lines) >= 200, EVE_FILES
    eve_bytes = full_bytes = lean_bytes = 0
    for line in lines:
        document = transform(line)
        slim = lean(document)
        assert dict(flatten(slim)) == {
            key: value
            for key, value in flatten(document)
            if key != "event.original" and not key.startswith("suricata.eve.")
        }
        eve_bytes += len(line) + 1
        full_bytes += len(json.dumps(document)) + 1
        lean_bytes += len(json.dumps(slim)) + 1
    per_1000 = 1000 / len(lines)
    with capsys.disabled():
        print(
            f"\nspool bytes per 1000 events: EVE {eve_bytes * per_1000 / 1e3:.0f} kB, "
            f"keep_raw {full_bytes * per_1000 / 1e3:.0f} kB, "
            f"lean {lean_bytes * per_1000 / 1e3:.0f} kB"
        )
    assert lean_bytes < full_bytes / 2


def test_the_spool_sink_reads_the_lean_documents_unless_raw_is_kept(tmp_path: Path) -> None:
    default = vector_config(validate_document({}, "t", MACHINE))
    assert default["sinks"]["events"]["inputs"] == ["spool_lean"]
    assert default["transforms"]["spool_lean"]["inputs"] == ["split.events", "redis_restore"]
    raw = {"shipping": {"spool": {"keep_raw": True}}}
    kept = vector_config(validate_document(raw, "t", MACHINE))
    assert "spool_lean" not in kept["transforms"]
    assert kept["sinks"]["events"]["inputs"] == ["split.events", "redis_restore"]
    # Dead letters keep the line they could not map: it is all they have.
    assert default["sinks"]["dead_letter"]["inputs"][0] == "split.dead_letter"
