"""The local spool: capped by pruning the oldest days, backfilled into OpenSearch once."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ids2.cli import main
from tests.doubles.opensearch_test_double import OpenSearchTestDouble


def spool_day(directory: Path, day: str, documents: int, size: int = 0) -> Path:
    path = directory / f"ids2-logs-{day}.ndjson"
    lines = [
        json.dumps(
            {
                "@timestamp": f"{day.replace('.', '-')}T00:00:00Z",
                "ids2": {"doc_id": f"{day}-{n}"},
                "pad": "x" * size,
            }
        )
        for n in range(documents)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def config_file(tmp_path: Path, **shipping: object) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "shipping": {
                    "spool": {"directory": str(tmp_path / "spool"), "max_mb": 16},
                    **shipping,
                }
            }
        )
    )
    return str(path)


def test_prune_keeps_the_newest_days_within_the_cap(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    days = [spool_day(spool, f"2026.11.{day:02d}", 6, 1_000_000) for day in range(20, 26)]
    assert main(["spool", "prune", "--config", config_file(tmp_path)]) == 0
    left = sorted(path.name for path in spool.iterdir())
    assert left == [path.name for path in days[-2:]]  # 2 x 6 MB fit in 16 MiB, 3 do not


def test_backfill_indexes_each_day_once(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    spool_day(spool, "2026.11.24", 3)
    spool_day(spool, "2026.11.25", 1200)
    double = OpenSearchTestDouble().start()
    try:
        config = config_file(tmp_path, opensearch={"endpoint": double.url})
        assert main(["spool", "backfill", "--config", config]) == 0
        assert main(["spool", "backfill", "--config", config]) == 0  # again: no duplicates
        assert {name: len(docs) for name, docs in double.store.indices.items()} == {
            "ids2-logs-2026.11.24": 3,
            "ids2-logs-2026.11.25": 1200,
        }
    finally:
        double.stop()


def test_backfill_needs_an_endpoint(tmp_path: Path) -> None:
    assert main(["spool", "backfill", "--config", config_file(tmp_path)]) == 1
