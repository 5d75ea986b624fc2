"""Offline rates: `suricata -r` of one pcap with each variant, start-up taken out, and the
ratio of each to a baseline with their alerts compared (bench/suricata_bench.py, part 1)."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.support.eve_counts import EveCounts, eve_counts
from tests.support.offline_rate import Timings, Unmeasurable, packets_per_second
from tests.support.suricata_console import error_lines

from ids2.common.eve_files import ALERTS_GLOB, EVE_GLOB

Variant = tuple[Path, tuple[str, ...], Path]
"""A config, the command line's prefix and the directory it may write."""
Result = tuple[float | None, Counter[int]]
"""Packets per second (None: not measurable) and the alerts of a variant."""


def suricata_command(
    prefix: tuple[str, ...], config: Path, rules: Path, log_dir: Path, *options: str
) -> list[str]:
    """Suricata on `config` with the bench's `rules`, logging to `log_dir`, after `prefix`
    (setpriv for the sandbox), with the run's own `options` (its packet source)."""
    return [*prefix, "suricata", "-c", str(config), "-S", str(rules), "-l", str(log_dir), *options]


def eve_files(log_dir: Path) -> list[Path]:
    """A run's EVE files: stock's in `log_dir`, the rendered config's beside it (in the
    variant's directory, as on the RAM disk)."""
    return [*log_dir.glob("eve*.json"), *log_dir.parent.glob(EVE_GLOB)]


def clear_eve(log_dir: Path) -> None:
    """Remove a run's EVE files and the rendered config's alert files: gigabytes over a
    whole bench, and each run counts its own."""
    for old in [*eve_files(log_dir), *log_dir.parent.glob(ALERTS_GLOB)]:
        old.unlink()


def offline_run(
    config: Path, pcap: Path, rules: Path, log_dir: Path, prefix: tuple[str, ...] = ()
) -> tuple[float, EveCounts, list[str]]:
    """Seconds of one whole `suricata -r`, its EVE counts and its error lines."""
    clear_eve(log_dir)
    started = time.monotonic()
    result = subprocess.run(
        suricata_command(prefix, config, rules, log_dir, "-r", str(pcap), "-k", "none"),
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    counts = eve_counts(line for path in eve_files(log_dir) for line in path.open())
    return elapsed, counts, error_lines(result.stdout + result.stderr)


def offline(
    variants: dict[str, Variant], pcap: Path, packets: int, rules: Path, empty: Path
) -> dict[str, Result]:
    """Packets per second (median of 3, start-up taken out) and the alerts of each variant."""
    results: dict[str, Result] = {}
    for name, (config, prefix, directory) in variants.items():
        # Root's, as /var/log/suricata: Suricata opens its log before it drops privileges.
        log_dir = directory / f"log-{name}"
        log_dir.mkdir()
        # Start-up (rule loading) is measured on a one-packet pcap and taken out.
        startups = [offline_run(config, empty, rules, log_dir, prefix)[0] for _ in range(3)]
        runs = [offline_run(config, pcap, rules, log_dir, prefix) for _ in range(3)]
        timings = Timings(startups, [elapsed for elapsed, _, _ in runs])
        decoded = [counts.decoded for _, counts, _ in runs]
        detail = (
            f"work {timings.work:.2f} s = {timings.work / timings.startup:.1f} x the "
            f"{timings.startup:.2f} s start-up (spread {timings.startup_spread:.2f} s); "
            f"the runs spread {timings.run_spread:.2f} s; "
            f"decoded {decoded[0] if len(set(decoded)) == 1 else decoded} of {packets}"
        )
        try:
            rate: float | None = packets_per_second(packets, decoded, timings)
            print(f"  {name:<16} {rate:>10.0f} packets/s ({detail})")
        except Unmeasurable as reason:
            rate = None
            print(f"  {name:<16} no rate: {reason} ({detail})")
        for line in dict.fromkeys(line for _, _, said in runs for line in said):
            print(f"  {name:<16} Suricata: {line}")
        results[name] = (rate, runs[0][1].alerts)
    return results


def compare(results: dict[str, Result], baseline: str) -> None:
    """Each variant's rate as a ratio of the baseline's, and whether it alerted the same."""
    base_rate, base_alerts = results[baseline]
    for name, (rate, alerts) in results.items():
        if name != baseline:
            ratio = f"{rate / base_rate:.2f}x" if rate and base_rate else "no ratio (no rate)"
            print(
                f"  {name} / {baseline}: {ratio}; same alerts: "
                f"{alerts == base_alerts} ({sum(alerts.values())} alerts, sids {sorted(alerts)})"
            )
