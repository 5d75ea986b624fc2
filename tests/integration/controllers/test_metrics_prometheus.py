"""The exporter as a real process, scraped by Debian's Prometheus and checked by promtool."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ids2.stack.cgroup import cgroup_directories
from ids2.state import StateStore
from ids2.status.figures import PIPELINE_QUERIES, pipeline_figures, query_value
from tests.support.ports import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs Debian's prometheus"),
]
NOT_SCRAPED_HERE = {"ids2_container_memory_limit_bytes"}
"""Exported for a container with a memory limit (every service of the stack has one), not
for the test process's own cgroup that stands in for one in `exporter`'s stack report;
tests/unit/stack/test_collector.py and the engine suite read one back."""
CORPUS = Path(__file__).resolve().parents[4] / "shared/corpora/eve-samples"


def stats_event(packets: int, drops: int, alerts: int) -> str:
    """A stats event shaped like Suricata's, with capture counters as af-packet has them."""
    sample = next(
        json.loads(line)
        for line in (CORPUS / "generated-suricata-7.0.10/all.ndjson").read_text().splitlines()
        if '"stats"' in line
    )
    stats = sample["stats"]
    stats["capture"] = {"kernel_packets": packets, "kernel_drops": drops, "errors": 0}
    stats["detect"]["alert"] = alerts
    return json.dumps(
        {"timestamp": sample["timestamp"], "event_type": "stats", "stats": stats},
        separators=(",", ":"),
    )


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    runtime, eve = tmp_path / "run", tmp_path / "ram"
    eve.mkdir()
    (eve / "eve.json").write_text(
        stats_event(10_000, 0, 3)
        + "\n"
        + '{"event_type":"flow"}\n'
        + stats_event(30_000, 200, 7)
        + "\n"
    )
    store = StateStore(runtime)
    store.write(
        "resource",
        {
            "summary": "level 2",
            "healthy": True,
            "interval": 2,
            "level": 2,
            "actions": {"suricata": "ok: CPUQuota=150%", "vector": "failed: x"},
            "action_failures_total": 1,
            "load_percent": 61.5,
        },
    )
    store.write(
        "connectivity",
        {
            "summary": "ok",
            "healthy": True,
            "interval": 30,
            "checks": {
                "dns": {"ok": True, "latency_seconds": 0.002},
                "tls": {"ok": True, "latency_seconds": 0.03, "days_until_expiry": 42.5},
                "opensearch": {"ok": False, "latency_seconds": 5.0, "error": "429"},
            },
        },
    )
    store.write(
        "verify",
        {
            "summary": "ok",
            "healthy": True,
            "interval": 60,
            "last_latency_seconds": 1.75,
            "canaries_sent_total": 4,
            "canaries_found_total": 3,
            "canaries_failed_total": 1,
            "last_success_at": time.time(),
        },
    )
    store.write(
        "ramdisk",
        {
            "lost_bytes_total": 0,
            "lost_events_total": 0,
            "dropped_files_total": 0,
            "usage_ratio": 0.1,
        },
    )
    store.write(
        "rules",
        {
            "summary": "ok",
            "healthy": True,
            "interval": 86400,
            "rules_loaded": 43210,
            "reloaded_at": time.time(),
        },
    )
    # The root report, naming this test process's own cgroup as the container's.
    vector = {"status": "running", "health": "healthy", "ok": True, "restart_count": 0}
    vector["cgroup"] = cgroup_directories(os.getpid())
    store.write("stack", {"services": {"vector": vector}})
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump({"metrics": {"port": port}, "ramdisk": {"mount_point": str(eve)}})
    )
    env = dict(os.environ, IDS2_RUNTIME_DIR=str(runtime))
    process = subprocess.Popen(
        [sys.executable, "-m", "ids2", "run", "metrics", "--config", str(config)], env=env
    )
    deadline = time.monotonic() + 15
    while not (runtime / "metrics.json").exists():
        assert time.monotonic() < deadline and process.poll() is None, "exporter did not start"
        time.sleep(0.1)
    yield port, tmp_path
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


def test_scrape_passes_promtool_check_metrics(exporter: tuple[int, Path]) -> None:
    alert = {
        "timestamp": "2026-12-04T10:00:00.000000+0000",
        "event_type": "alert",
        "alert": {"signature_id": 2100498, "signature": 'say "root" \\ here', "severity": 2},
        "payload_printable": "uid=0(root)",
    }
    alerts = exporter[1] / "ram/alerts.json.1796378400"
    alerts.write_text(json.dumps(alert, separators=(",", ":")) + "\n")
    text = scrape(exporter[0])
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""
    for family in ("ids2_container_cpu_seconds_total", "ids2_container_memory_bytes"):
        assert re.search(rf'\n{family}{{service="vector"}} [1-9][0-9.e+]*\n', text), family
    for line in (
        "ids2_throttle_level 2.0",
        "ids2_suricata_capture_kernel_drops_total 200.0",
        "ids2_suricata_alerts_total 7.0",
        "ids2_canaries_failed_total 1.0",
        'ids2_connectivity_check_up{check="opensearch"} 0.0',
        'ids2_throttle_action_ok{target="vector"} 0.0',
        'ids2_alerts_total{severity="2"} 1.0',
        'ids2_alerts_total{severity="1"} 0.0',
        'ids2_alert_signature_total{severity="2",sid="2100498",'
        'signature="say \\"root\\" \\\\ here"} 1.0',
        'ids2_alert_signature_total{severity="",sid="other",signature="other"} 0.0',
    ):
        assert f"\n{line}\n" in text, line


def query(prometheus: str, expression: str) -> list[dict[str, object]]:
    url = f"{prometheus}/api/v1/query?query={urllib.parse.quote(expression)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        result: list[dict[str, object]] = json.load(response)["data"]["result"]
        return result


def test_prometheus_scrapes_the_values_back(exporter: tuple[int, Path]) -> None:
    port, tmp_path = exporter
    prometheus_port = free_port()
    (tmp_path / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "ids2", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                ],
            }
        )
    )
    server = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{prometheus_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ratio = query(base, "ids2_suricata_capture_drop_ratio")
                if ratio:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Prometheus never saw the exporter's figures"
            time.sleep(0.5)
        assert abs(float(ratio[0]["value"][1]) - 200 / 20_000) < 1e-9  # type: ignore[index]
        assert query(base, "ids2_throttle_level")[0]["value"][1] == "2"  # type: ignore[index]
        latency = query(base, 'ids2_connectivity_check_latency_seconds{check="tls"}')
        assert latency[0]["value"][1] == "0.03"  # type: ignore[index]
        assert query(base, 'up{job="ids2"}')[0]["value"][1] == "1"  # type: ignore[index]
        # What ids2 status asks this Prometheus: one value, or None without Vector's series.
        assert query_value("ids2_throttle_level", base) == 2.0
        assert pipeline_figures(base) == dict.fromkeys(PIPELINE_QUERIES)
    finally:
        server.terminate()
        server.wait(timeout=10)
