"""Real Suricata output as the alerts sources hold it: the corpus pcaps replayed with the
rendered config, every event through ecs.vrl, encoded as Vector encodes it, plus a canary."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ids2.shipping.canary import canary_line
from tests.integration.shipping.ecs_documents import as_vector_json
from tests.integration.shipping.ecs_vrl import transform
from tests.integration.suricata.test_pcap_replay import CORPUS, MANIFEST, rendered_config, replay

pytest.importorskip("vrl_python")


@dataclass(frozen=True)
class Replayed:
    """Suricata's alerts (EVE) and every event as an ECS document."""

    alerts: list[dict[str, Any]]
    documents: list[dict[str, Any]]

    def sids(self) -> Counter[str]:
        return Counter(str(alert["alert"]["signature_id"]) for alert in self.alerts)

    def write_spool(self, directory: Path) -> None:
        """Day files named and encoded the way Vector's spool sink writes them."""
        directory.mkdir(exist_ok=True)
        for document in self.documents:
            day = document["@timestamp"][:10].replace("-", ".")
            with (directory / f"ids2-logs-{day}.ndjson").open("a") as handle:
                handle.write(json.dumps(document, separators=(",", ":")) + "\n")


@pytest.fixture(scope="session")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    if shutil.which("suricata") is None:
        pytest.skip("needs Suricata 7")
    events: list[dict[str, Any]] = []
    for case in MANIFEST:
        work = tmp_path_factory.mktemp(case["name"])
        directory = CORPUS / case["name"]
        events += replay(
            rendered_config(work, name="sensor-a"),
            directory / case["pcap"],
            [directory / rule for rule in case["rules"]],
            [part for arg in case["args"] or [] for part in shlex.split(arg)],
            work / "log",
        )
    lines = [json.dumps(event) for event in events]
    lines.append(canary_line("canary-for-alerts", time.time()).decode())
    documents = [as_vector_json(transform(line)) for line in lines]
    alerts = [event for event in events if event["event_type"] == "alert"]
    assert len(alerts) > 10
    return Replayed(alerts, documents)
