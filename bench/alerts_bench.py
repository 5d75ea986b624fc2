"""`ids2 alerts --summary` against a jq pipeline computing the same counts, side by side.

A spool day file of at least IDS2_BENCH_SPOOL_MB (default 1024) MiB is built from real ECS
documents (the corpus EVE events through ecs.vrl, each copy with its own time and id),
then both count the day's alerts: per severity, per signature, per source and destination.
Goal: ids2 at least 2x faster than jq, with the same counts. The file is read once before
either runs, so both find it in the page cache.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.shipping.ecs_documents import ecs_documents  # noqa: E402

from ids2.alerts.summary import top  # noqa: E402

SIZE_BYTES = int(os.environ.get("IDS2_BENCH_SPOOL_MB", "1024")) << 20
GOAL_RATIO = 2.0
DAY = datetime.date.today()
SINCE, UNTIL = f"{DAY}T00:00:00.000000Z", f"{DAY}T23:59:59.999999Z"
JQ_PROGRAM = """
reduce (inputs
        | select(.event.kind == "alert" and ((.tags // []) | index("ids2-canary") | not)
                 and ."@timestamp" >= $since and ."@timestamp" <= $until)) as $d
  ({total: 0, severity: {}, signatures: {}, sources: {}, destinations: {}};
   .total += 1
   | .severity[$d.event.severity | tostring] += 1
   | .signatures[($d.rule.id // "") + "\\t" + ($d.rule.name // "")] += 1
   | .sources[$d.source.ip // ""] += 1
   | .destinations[$d.destination.ip // ""] += 1)
"""


def build_day_file(path: Path) -> tuple[int, int]:
    """(lines, bytes): the corpus documents over and over, a microsecond apart."""
    templates = []
    for document in ecs_documents():
        copy = {**document, "@timestamp": "@STAMP@", "ids2": {**document["ids2"], "doc_id": "@ID@"}}
        templates.append(json.dumps(copy, separators=(",", ":")).encode())
    midnight = datetime.datetime.combine(DAY, datetime.time())
    written = lines = 0
    with path.open("wb", buffering=8 << 20) as handle:
        while written < SIZE_BYTES:
            template = templates[lines % len(templates)]
            stamp = midnight + datetime.timedelta(microseconds=lines)
            line = template.replace(b"@STAMP@", f"{stamp:%Y-%m-%dT%H:%M:%S.%f}Z".encode(), 1)
            line = line.replace(b"@ID@", b"bench-%d" % lines, 1) + b"\n"
            handle.write(line)
            written += len(line)
            lines += 1
    return lines, written


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    return time.perf_counter() - start, result.stdout


def jq_summary(counts: dict[str, Any]) -> dict[str, Any]:
    """jq's full counts cut to ids2's shape: top lists, addresses in their short form."""

    def short(table: dict[str, int]) -> Counter[str]:
        shortened: Counter[str] = Counter()
        for address, count in table.items():
            shortened[ipaddress.ip_address(address).compressed if address else ""] += count
        return shortened

    signatures = Counter(
        {tuple(key.split("\t", 1)): count for key, count in counts["signatures"].items()}
    )
    return {
        "total": counts["total"],
        "severity": dict(sorted(counts["severity"].items())),
        "signatures": [
            {"sid": sid, "name": name, "count": count} for (sid, name), count in top(signatures)
        ],
        "sources": [{"ip": ip, "count": n} for ip, n in top(short(counts["sources"]))],
        "destinations": [{"ip": ip, "count": n} for ip, n in top(short(counts["destinations"]))],
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ids2-alerts-bench-") as scratch:
        directory = Path(scratch) / "spool"
        directory.mkdir()
        day_file = directory / f"ids2-logs-{DAY:%Y.%m.%d}.ndjson"
        start = time.perf_counter()
        lines, size = build_day_file(day_file)
        print(
            f"day file: {size / (1 << 20):.0f} MiB, {lines} documents, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        config = Path(scratch) / "config.yaml"
        config.write_text(f"shipping:\n  spool:\n    directory: {directory}\n")
        environment = {**os.environ, "IDS2_CONFIG": str(config)}
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "src"), environment.get("PYTHONPATH", "")]
        )
        with day_file.open("rb") as handle:
            while handle.read(64 << 20):  # into the page cache for both
                pass
        ids2_seconds, ids2_out = timed(
            [
                sys.executable,
                "-m",
                "ids2",
                "alerts",
                "--summary",
                "--json",
                "--since",
                SINCE,
                "--until",
                UNTIL,
            ],
            environment,
        )
        jq_seconds, jq_out = timed(
            [
                "jq",
                "-n",
                "-c",
                "--arg",
                "since",
                SINCE,
                "--arg",
                "until",
                UNTIL,
                JQ_PROGRAM,
                str(day_file),
            ],
            environment,
        )
    ours, theirs = json.loads(ids2_out), jq_summary(json.loads(jq_out))
    ratio = jq_seconds / ids2_seconds
    print(
        f"ids2 alerts --summary: {ids2_seconds:.2f} s ({size / ids2_seconds / (1 << 20):.0f} MiB/s)"
    )
    print(f"jq pipeline:           {jq_seconds:.2f} s ({size / jq_seconds / (1 << 20):.0f} MiB/s)")
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"ratio: ids2 is {ratio:.1f}x faster than jq (goal {GOAL_RATIO:.0f}x: {verdict})")
    print(f"alerts counted: {ours['total']}; counts agree: {ours == theirs}")
    if ours != theirs:
        print(f"ids2: {json.dumps(ours)}\njq:   {json.dumps(theirs)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
