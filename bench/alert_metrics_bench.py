"""Detection metrics: how many alerts per second the metrics controller counts on one core,
and what it costs at a steady 100 alerts/s.

The alert lines are real: the corpus pcaps replayed through Suricata with the rendered
config, as written to alerts.json.* (payload, packet, app-layer fields), each copy given
one of SIGNATURES sids so the top-signatures cap and its `other` series are exercised.
The controller runs as its unit runs it (`ids2 run metrics`), pinned to one core, on a
tmpfs directory standing in for the RAM disk.

1. Throughput: a backlog of IDS2_BENCH_ALERTS alerts over four rotated files, scraped
   until every one is counted; alerts per CPU second of the controller is the rate it
   keeps up with on that core. Goal: at least 20,000. Baseline in the same run: the same
   lines parsed whole with json.loads in this process (what a naive reader pays).
2. Steady load: 100 alerts/s for IDS2_BENCH_ALERT_SECONDS, scraped every 15 s as
   Prometheus does; the controller's CPU against the same controller idle.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.suricata.test_pcap_replay import (  # noqa: E402
    CORPUS,
    MANIFEST,
    rendered_config,
    replay,
)
from tests.support.ports import free_port  # noqa: E402

ALERTS = int(os.environ.get("IDS2_BENCH_ALERTS", "200000"))
SECONDS = float(os.environ.get("IDS2_BENCH_ALERT_SECONDS", "30"))
SIGNATURES = 200
GOAL_RATE = 20_000
STEADY_RATE = 100
SCRAPE_SECONDS = 15.0
TOTAL = re.compile(rb"^ids2_alerts_total\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)
SID = re.compile(rb'"signature_id":\d+')


def real_alert_lines(scratch: Path) -> list[bytes]:
    """The alert lines Suricata wrote to alerts.json.* for the corpus cases with rules."""
    lines: list[bytes] = []
    for case in (case for case in MANIFEST if case["rules"]):
        work = scratch / case["name"]
        work.mkdir(parents=True)
        directory = CORPUS / case["name"]
        replay(
            rendered_config(work),
            directory / case["pcap"],
            [directory / rule for rule in case["rules"]],
            [part for arg in case["args"] or [] for part in shlex.split(arg)],
            work / "log",
        )
        for path in sorted((work / "ram").glob("alerts.json.*")):
            lines += [line for line in path.read_bytes().splitlines() if line]
    return lines


def copies(lines: list[bytes], count: int) -> list[bytes]:
    """`count` lines cycling through the real ones, each with one of SIGNATURES sids."""
    return [
        SID.sub(
            f'"signature_id":{9_000_000 + index % SIGNATURES}'.encode(), lines[index % len(lines)]
        )
        for index in range(count)
    ]


def counted(port: int) -> int:
    """The sum of ids2_alerts_total over every severity, from one scrape."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read()
    return int(sum(float(value) for value in TOTAL.findall(text)))


def start_controller(ram: Path, scratch: Path, core: int) -> tuple[psutil.Popen, int]:
    """`ids2 run metrics` on `ram`, pinned to `core`, once it has said it is up."""
    port, runtime = free_port(), scratch / "run"
    config = scratch / "config.yaml"
    config.write_text(
        yaml.safe_dump({"metrics": {"port": port}, "ramdisk": {"mount_point": str(ram)}})
    )
    environment = {**os.environ, "IDS2_RUNTIME_DIR": str(runtime)}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), environment.get("PYTHONPATH", "")]
    )
    process = psutil.Popen(
        [sys.executable, "-m", "ids2", "run", "metrics", "--config", str(config)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
    )
    deadline = time.monotonic() + 30
    while not (runtime / "metrics.json").exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the metrics controller did not start")
        time.sleep(0.1)
    return process, port


def cpu_seconds(process: psutil.Popen) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def throughput(process: psutil.Popen, port: int, ram: Path, lines: list[bytes]) -> float:
    """Alerts per CPU second of the controller, counting a backlog of `lines`."""
    before = cpu_seconds(process)
    quarter = len(lines) // 4
    for part in range(4):
        chunk = lines[part * quarter : (part + 1) * quarter if part < 3 else len(lines)]
        (ram / f"alerts.json.{1796378400 + part * 60}").write_bytes(b"\n".join(chunk) + b"\n")
    deadline = time.monotonic() + 600
    while (seen := counted(port)) < len(lines):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {seen} of {len(lines)} alerts counted after 600 s")
        time.sleep(0.2)
    if seen != len(lines):
        raise SystemExit(f"{seen} alerts counted, {len(lines)} written")
    return len(lines) / (cpu_seconds(process) - before)


def steady_load(
    process: psutil.Popen, port: int, path: Path | None, lines: list[bytes]
) -> tuple[float, int]:
    """The controller's CPU in % of one core over SECONDS, with STEADY_RATE alerts/s
    appended to `path` (none when it is None), scraped every SCRAPE_SECONDS, and how many
    alerts were appended."""
    handle = path.open("ab", buffering=0) if path is not None else None
    before, start = cpu_seconds(process), time.monotonic()
    next_scrape, written = start + SCRAPE_SECONDS, 0
    batch = STEADY_RATE // 10
    while (now := time.monotonic()) < start + SECONDS:
        if handle is not None:
            due = int((now - start) * STEADY_RATE)
            while written < due:
                handle.write(
                    b"".join(line + b"\n" for line in lines[written % len(lines) :][:batch])
                )
                written += batch
        if now >= next_scrape:
            counted(port)
            next_scrape += SCRAPE_SECONDS
        time.sleep(0.1)
    cpu = (cpu_seconds(process) - before) / (time.monotonic() - start) * 100
    if handle is not None:
        handle.close()
    return cpu, written


def main() -> int:
    cores = os.sched_getaffinity(0)
    core = max(cores)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as scratch_name:
        scratch = Path(scratch_name)
        real = real_alert_lines(scratch / "replay")
        lines = copies(real, ALERTS)
        size = sum(len(line) + 1 for line in lines)
        print(
            f"{len(real)} real alert lines, {ALERTS} copies with {SIGNATURES} sids: "
            f"{size / (1 << 20):.0f} MiB, {size / ALERTS:.0f} bytes per alert on average"
        )
        os.sched_setaffinity(0, {core})
        start = time.process_time()
        for line in lines:
            json.loads(line)
        naive = ALERTS / (time.process_time() - start)
        os.sched_setaffinity(0, cores)

        ram = scratch / "ram"
        ram.mkdir()
        process, port = start_controller(ram, scratch, core)
        try:
            rate = throughput(process, port, ram, lines)
            for path in ram.glob("alerts.json.*"):
                path.unlink()
            counted(port)
            idle, _ = steady_load(process, port, None, lines)
            loaded, written = steady_load(process, port, ram / "alerts.json.1796382000", lines)
            final = counted(port)
        finally:
            process.terminate()
            process.wait(timeout=10)
    verdict = "met" if rate >= GOAL_RATE else "NOT met"
    print(f"metrics controller: {rate:,.0f} alerts/s on one core (goal {GOAL_RATE:,}: {verdict})")
    print(f"baseline, json.loads of every whole line: {naive:,.0f} alerts/s on one core")
    print(f"ratio: {rate / naive:.1f}x the baseline")
    print(
        f"CPU at {STEADY_RATE} alerts/s: {loaded:.2f} % of one core "
        f"(idle: {idle:.2f} %, so {loaded - idle:.2f} % for the alerts), over {SECONDS:.0f} s"
    )
    print(f"alerts counted in all: {final} of {ALERTS + written} written")
    return 0 if rate >= GOAL_RATE and final == ALERTS + written else 1


if __name__ == "__main__":
    sys.exit(main())
