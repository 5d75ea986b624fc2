"""Footprint of the long-running controllers: memory and CPU at steady state, all together.

Goals (issues: controllers, trixie): the four together at most 50 MB PSS (shared pages
counted once) with shipping configured, and 0.5 % of one core; RSS is reported too.

The controllers start as their units start them: each unit's ExecStart= (with this
venv's `ids2` for /opt/venvs/ids2/bin/ids2) and Environment=, read from systemd/. The
metrics exporter is scraped every 15 s, as the stack's Prometheus does. Measured twice:
with the default config (events go to the local spool) and shipping to a real OpenSearch
node (tests/opensearch/, its own process, not counted), since the HTTP client and ssl are
loaded only when an endpoint is configured.

Memory per controller: RSS; PSS, the kernel's share of each page among every process
mapping it (on this shared build machine that includes other people's Python processes,
so it can be lower than on a sensor); and private memory. And for the four together:
their distinct pages (each page counted once, read from /proc/PID/pagemap, which needs
root), which is what their PSS adds up to when they are the only Python processes, as on
a sensor. Nothing else of this bench runs while the controllers are measured.

`--release trixie` (root) measures the interpreter a sensor runs: the same bench runs in a
chroot of that Debian release (tests/system/release_venv.py: its python3, the pinned
requirements and this tree installed in /opt/venvs/ids2, as the package has them), against
a node started here on the host, which the chroot reaches over the shared loopback. There
no other process maps that interpreter's files, so PSS is what it is on a sensor.

The baselines, measured afterwards on their own: a bare interpreter, which no Python
controller can go below, and per controller an interpreter that imports only the
libraries the issues require of it and nothing of ours (no logging, no dataclasses, no
argparse): PyYAML for the config, json for the state files, socket for sd_notify; psutil
for resource; psutil and prometheus_client for metrics; and http.client (which loads ssl)
for connectivity and verify when they ship. Together they are the floor no implementation
of this design (four processes) goes below.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ports import free_port  # noqa: E402

CONTROLLERS = ("resource", "connectivity", "metrics", "verify")
GOAL_PSS_MB = 50.0
GOAL_CPU_PERCENT = 0.5
WARMUP_SECONDS = 10.0
SECONDS = float(os.environ.get("IDS2_BENCH_SECONDS", "60"))
SCRAPE_SECONDS = 15.0
BIN = Path(sys.executable).parent
INSTALLED_BIN = "/opt/venvs/ids2/bin/"
SLEEP = "import time; time.sleep(3600)"
REQUIRED_BY_ALL = ("yaml", "json", "socket")
REQUIRED_BY = {"resource": ("psutil",), "metrics": ("psutil", "prometheus_client")}
REQUIRED_TO_SHIP = ("http.client",)
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1e6

Figures = dict[str, dict[str, float]]


def unit_command(name: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment the controller's unit starts it with."""
    command: list[str] = []
    environment: dict[str, str] = {}
    for line in (ROOT / "systemd" / f"ids2-{name}.service").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "ExecStart":
            command = [word.replace(INSTALLED_BIN, f"{BIN}/") for word in shlex.split(value)]
        elif key == "Environment":
            for pair in shlex.split(value):
                variable, _, setting = pair.partition("=")
                environment[variable] = setting
    return command, environment


def floor_programs(shipping: bool) -> dict[str, str]:
    """Per controller, a program that imports only what the issues require of it, and sleeps."""
    programs = {}
    for name in CONTROLLERS:
        modules = REQUIRED_BY_ALL + REQUIRED_BY.get(name, ())
        if shipping and name in ("connectivity", "verify"):
            modules += REQUIRED_TO_SHIP
        programs[name] = f"import {', '.join(modules)}; {SLEEP}"
    return programs


def start(command: list[str], env: dict[str, str]) -> psutil.Popen:
    return psutil.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(processes: dict[str, psutil.Popen]) -> None:
    for process in processes.values():
        process.terminate()
        process.wait(10)


def resident_pages(pid: int) -> set[int]:
    """The physical frames `pid` has mapped (frame numbers read as 0 without root)."""
    frames = set()
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            start, end = (int(address, 16) for address in line.split()[0].split("-"))
            if start >= 1 << 63:  # [vsyscall]
                continue
            pagemap.seek(start // PAGE * 8)
            for (entry,) in struct.iter_unpack("Q", pagemap.read((end - start) // PAGE * 8)):
                if entry >> 63:  # present
                    frames.add(entry & ((1 << 55) - 1))
    return frames


def together_mb(processes: dict[str, psutil.Popen]) -> float | None:
    """The distinct pages of `processes` in MB, each counted once; None without root."""
    if os.geteuid() != 0:
        return None
    frames: set[int] = set()
    for process in processes.values():
        frames |= resident_pages(process.pid)
    return len(frames) * PAGE / MB


def memory(processes: dict[str, psutil.Popen]) -> Figures:
    """RSS, PSS and private memory in MB per process."""
    figures = {}
    for name, process in processes.items():
        full = process.memory_full_info()
        figures[name] = {"rss": full.rss / MB, "pss": full.pss / MB, "uss": full.uss / MB}
    return figures


def scrape_every(port: int, stopped: threading.Event) -> None:
    """Scrape the exporter as Prometheus does, so its memory includes serving scrapes."""
    while not stopped.wait(SCRAPE_SECONDS):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            response.read()


def run_controllers(scratch: Path, opensearch: dict[str, str]) -> tuple[Figures, float | None]:
    """Figures of the four controllers with the default config but for `opensearch`
    (shipping.opensearch keys), and their distinct pages together."""
    (scratch / "ram" / "canary").mkdir(parents=True)
    (scratch / "spool").mkdir()
    config = scratch / "config.yaml"
    port = free_port()
    shipping = {"spool": {"directory": str(scratch / "spool")}, "opensearch": opensearch}
    config.write_text(
        yaml.safe_dump(
            {
                "ramdisk": {"mount_point": str(scratch / "ram")},
                "shipping": shipping,
                "metrics": {"port": port},
            }
        )
    )
    processes = {}
    for name in CONTROLLERS:
        command, unit_environment = unit_command(name)
        env = dict(os.environ, **unit_environment, IDS2_RUNTIME_DIR=str(scratch / "run"))
        processes[name] = start([*command, "--config", str(config)], env)
    stopped = threading.Event()
    scraper = threading.Thread(target=scrape_every, args=(port, stopped), daemon=True)
    try:
        time.sleep(WARMUP_SECONDS)
        scraper.start()
        before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
        time.sleep(SECONDS)
        figures = memory(processes)
        for name, process in processes.items():
            cpu = (sum(process.cpu_times()[:2]) - before[name]) / SECONDS * 100
            figures[name]["cpu"] = cpu
        return figures, together_mb(processes)
    finally:
        stopped.set()
        stop(processes)


def run_baselines(shipping: bool) -> tuple[Figures, float | None]:
    """Figures of a bare interpreter and of the four floors, and the floors' distinct
    pages together (the bare interpreter is not counted in those)."""
    env = dict(os.environ)
    floors = {
        name: start([sys.executable, "-c", p], env) for name, p in floor_programs(shipping).items()
    }
    bare = {"bare python": start([sys.executable, "-c", SLEEP], env)}
    try:
        time.sleep(WARMUP_SECONDS)
        return memory({**floors, **bare}), together_mb(floors)
    finally:
        stop({**floors, **bare})


def report(title: str, opensearch: dict[str, str]) -> None:
    """One table per scenario, with the sums against the goals."""
    with tempfile.TemporaryDirectory() as scratch:
        figures, together = run_controllers(Path(scratch), opensearch)
    baselines, floor_together = run_baselines(bool(opensearch))
    bare = baselines.pop("bare python")
    print(f"{title}: controllers over {SECONDS:.0f} s after {WARMUP_SECONDS:.0f} s warm-up")
    print(
        f"{'controller':<14}{'RSS MB':>8}{'PSS MB':>8}{'private':>9}{'CPU %':>8}"
        f"{'floor RSS':>11}{'floor PSS':>11}"
    )
    for name in CONTROLLERS:
        mine, floor = figures[name], baselines[name]
        print(
            f"{name:<14}{mine['rss']:>8.1f}{mine['pss']:>8.1f}{mine['uss']:>9.1f}"
            f"{mine['cpu']:>8.3f}{floor['rss']:>11.1f}{floor['pss']:>11.1f}"
        )

    def total(source: Figures, key: str) -> float:
        return sum(source[name][key] for name in CONTROLLERS)

    print(
        f"{'all four':<14}{total(figures, 'rss'):>8.1f}{total(figures, 'pss'):>8.1f}"
        f"{total(figures, 'uss'):>9.1f}{total(figures, 'cpu'):>8.3f}"
        f"{total(baselines, 'rss'):>11.1f}{total(baselines, 'pss'):>11.1f}"
    )
    print(f"bare python interpreter: {bare['rss']:.1f} MB RSS, {bare['pss']:.1f} MB PSS")
    if together is not None and floor_together is not None:
        print(
            f"the four together, each page once: {together:.1f} MB"
            f" = {together / GOAL_PSS_MB:.2f} x the {GOAL_PSS_MB:.0f} MB goal;"
            f" the floor's four: {floor_together:.1f} MB"
        )
    pss = total(figures, "pss")
    print(f"PSS: {pss:.1f} MB = {pss / GOAL_PSS_MB:.2f} x the {GOAL_PSS_MB:.0f} MB goal")
    cpu = total(figures, "cpu")
    print(f"CPU: {cpu:.3f} % = {cpu / GOAL_CPU_PERCENT:.2f} x the {GOAL_CPU_PERCENT} % goal")


def in_release(release: str, opensearch: str) -> int:
    """This bench's exit status, run inside `release`'s root against the node `opensearch`."""
    from tests.system.release_venv import VENV, chroot, release_venv

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / release
        try:
            with release_venv(root, release):
                chroot(
                    root,
                    f"PYTHONDONTWRITEBYTECODE=1 {VENV}/bin/python /src/bench/{Path(__file__).name}"
                    f" --opensearch {shlex.quote(opensearch)}",
                    timeout=3600,
                )
        finally:
            # Its mounts are gone by now; one file system all the same, in case one is not.
            subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)
    return 0


@contextlib.contextmanager
def opensearch_url(given: str | None) -> Iterator[str]:
    """The node's URL: `given`, else one started here for the bench's duration."""
    if given:
        yield given
        return
    from tests.opensearch.node import running_node

    with running_node() as node:
        yield node.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", help="run inside this Debian release's root (needs root)")
    parser.add_argument("--opensearch", metavar="URL", help="a running node to ship to")
    args = parser.parse_args(argv)
    if args.release:
        with opensearch_url(args.opensearch) as url:
            return in_release(args.release, url)
    print(f"Python {sys.version.split()[0]} ({sys.executable})")
    report("spool only (default config)", {})
    # Shipping loads the HTTP client and ssl into connectivity and verify: a sensor that
    # ships pays for it, so the goal is measured with it (auth none: boto3 is not loaded).
    with opensearch_url(args.opensearch) as url:
        print()
        report(f"shipping to {url} (a real OpenSearch node)", {"endpoint": url})
    return 0


if __name__ == "__main__":
    sys.exit(main())
