"""Footprint of the long-running controllers: RSS and CPU at steady state, all together.

Goal (issue: controllers): the four together at most 60 MB RSS and 0.5 % of one core. The
baselines, measured in the same run: a bare Python interpreter doing nothing, which no
Python controller can go below, and per controller an interpreter that imports only the
libraries the issue itself requires of it and nothing of ours (no logging, no dataclasses,
no argparse): PyYAML for the config, json for the state files, socket for sd_notify; psutil
for resource; psutil and prometheus_client for metrics; and http.client (which loads ssl)
for connectivity and verify when they talk to an OpenSearch. Their sum is the floor no
implementation of this design can go below. Measured twice: with the default config
(events go to the local spool) and shipping to a real OpenSearch node (tests/opensearch/,
its own process, not counted), since the OpenSearch client is loaded only when an endpoint
is configured. The controllers start as their units start them, through the `ids2` console
script.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.opensearch.node import running_node  # noqa: E402

CONTROLLERS = ("resource", "connectivity", "metrics", "verify")
GOAL_RSS_MB = 60.0
GOAL_CPU_PERCENT = 0.5
WARMUP_SECONDS = 10.0
SECONDS = float(os.environ.get("IDS2_BENCH_SECONDS", "60"))
IDS2 = str(Path(sys.executable).parent / "ids2")
SLEEP = "import time; time.sleep(3600)"
REQUIRED_BY_ALL = ("yaml", "json", "socket")
REQUIRED_BY = {"resource": ("psutil",), "metrics": ("psutil", "prometheus_client")}
REQUIRED_TO_SHIP = ("http.client",)
FLOOR = "floor "


def floor_programs(shipping: bool) -> dict[str, str]:
    """Per controller, a program that imports only what the issue requires of it, and sleeps."""
    programs = {}
    for name in CONTROLLERS:
        modules = REQUIRED_BY_ALL + REQUIRED_BY.get(name, ())
        if shipping and name in ("connectivity", "verify"):
            modules += REQUIRED_TO_SHIP
        programs[FLOOR + name] = f"import {', '.join(modules)}; {SLEEP}"
    return programs


def start(command: list[str], env: dict[str, str]) -> psutil.Popen:
    return psutil.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(processes: dict[str, psutil.Popen]) -> dict[str, tuple[float, float, float]]:
    """(RSS MB, PSS MB, CPU in % of one core over SECONDS) per process.

    RSS counts the interpreter's shared pages once per process; PSS shares them out, so
    the sum of PSS is what the four really take from the box together.
    """
    time.sleep(WARMUP_SECONDS)
    before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
    time.sleep(SECONDS)
    figures = {}
    for name, process in processes.items():
        cpu = (sum(process.cpu_times()[:2]) - before[name]) / SECONDS * 100
        memory = process.memory_full_info()
        figures[name] = (memory.rss / 1e6, memory.pss / 1e6, cpu)
    return figures


def run_controllers(opensearch: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    """Figures of the four controllers and of a bare interpreter, with the default config
    but for `opensearch` (shipping.opensearch keys)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "ram" / "canary").mkdir(parents=True)
        (root / "spool").mkdir()
        config = root / "config.yaml"
        shipping = {"spool": {"directory": str(root / "spool")}, "opensearch": opensearch}
        config.write_text(
            yaml.safe_dump({"ramdisk": {"mount_point": str(root / "ram")}, "shipping": shipping})
        )
        env = dict(os.environ, IDS2_RUNTIME_DIR=str(root / "run"))
        processes = {
            name: start([IDS2, "run", name, "--config", str(config)], env) for name in CONTROLLERS
        }
        baselines = {"bare python": SLEEP, **floor_programs(bool(opensearch))}
        for name, program in baselines.items():
            processes[name] = start([sys.executable, "-c", program], env)
        try:
            return measure(processes)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(10)


def report(title: str, figures: dict[str, tuple[float, float, float]]) -> None:
    """One table per scenario, with the sums against the goal."""
    baseline_rss = figures.pop("bare python")[0]
    floors = {name: figures.pop(FLOOR + name)[0] for name in CONTROLLERS}
    floor_rss = sum(floors.values())
    print(f"{title}: controllers over {SECONDS:.0f} s after {WARMUP_SECONDS:.0f} s warm-up")
    print(
        f"{'controller':<14}{'RSS MB':>9}{'x bare python':>15}{'floor MB':>10}"
        f"{'PSS MB':>9}{'CPU %':>9}"
    )
    for name, (rss, pss, cpu) in figures.items():
        print(
            f"{name:<14}{rss:>9.1f}{rss / baseline_rss:>15.2f}{floors[name]:>10.1f}"
            f"{pss:>9.1f}{cpu:>9.3f}"
        )
    total_rss = sum(rss for rss, _, _ in figures.values())
    total_pss = sum(pss for _, pss, _ in figures.values())
    total_cpu = sum(cpu for _, _, cpu in figures.values())
    print(
        f"{'all four':<14}{total_rss:>9.1f}{total_rss / baseline_rss:>15.2f}"
        f"{floor_rss:>10.1f}{total_pss:>9.1f}{total_cpu:>9.3f}"
    )
    print(f"bare python interpreter: {baseline_rss:.1f} MB RSS")
    print(
        "floor, four interpreters with only the libraries the issue requires:"
        f" {floor_rss:.1f} MB RSS"
        f" ({floor_rss / GOAL_RSS_MB:.2f} x the goal); ids2's own share:"
        f" {total_rss - floor_rss:.1f} MB"
    )
    print(
        f"RSS: {total_rss:.1f} MB = {total_rss / GOAL_RSS_MB:.2f} x the {GOAL_RSS_MB:.0f} MB goal"
        f" (PSS: {total_pss:.1f} MB = {total_pss / GOAL_RSS_MB:.2f} x)"
    )
    print(
        f"CPU: {total_cpu:.3f} % = {total_cpu / GOAL_CPU_PERCENT:.2f} x the "
        f"{GOAL_CPU_PERCENT} % goal"
    )


def main() -> int:
    report("spool only (default config)", run_controllers({}))
    # Shipping loads the OpenSearch client into connectivity and verify: a sensor that ships
    # pays for it, so the goal is measured with it too (auth none: boto3 is not loaded).
    with running_node() as node:
        print()
        report(
            f"shipping to {node.url} (a real OpenSearch node)",
            run_controllers({"endpoint": node.url}),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
