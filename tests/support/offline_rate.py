"""Packets per second of `suricata -r` from timings of the whole process, or why none can be
given.

Suricata's start-up (loading the rules) is timed on a one-packet pcap and taken out of the
runs on the benchmark's pcap. What is left is a rate only when it stands well clear of how
much start-up varies (else the subtraction decides the figure), and when every run decoded
every packet written: a run that stopped early would otherwise look fast.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MARGIN = 10
"""How many times the spread of the start-ups the work must exceed."""


class Unmeasurable(Exception):
    """No rate: the message says why."""


@dataclass(frozen=True)
class Timings:
    """Seconds of whole runs: on a one-packet pcap (start-up) and on the benchmark's."""

    startups: Sequence[float]
    runs: Sequence[float]

    @property
    def startup(self) -> float:
        return statistics.median(self.startups)

    @property
    def work(self) -> float:
        """The median run, start-up taken out."""
        return statistics.median(self.runs) - self.startup

    @property
    def startup_spread(self) -> float:
        """Seconds between the slowest and the fastest start-up."""
        return max(self.startups) - min(self.startups)

    @property
    def run_spread(self) -> float:
        """Seconds between the slowest and the fastest run: how far to trust the rate."""
        return max(self.runs) - min(self.runs)


def packets_per_second(written: int, decoded: Sequence[int | None], timings: Timings) -> float:
    """`written` packets over the work's seconds.

    Raises Unmeasurable when a run decoded another count than `written` (None: Suricata
    wrote no stats), or when the work is not MARGIN times the spread of the start-ups.
    """
    wrong = [count for count in decoded if count != written]
    if wrong:
        raise Unmeasurable(f"decoded {wrong} packets, not the {written} written")
    if timings.work <= MARGIN * timings.startup_spread:
        raise Unmeasurable(
            f"{timings.work:.2f} s of work is not {MARGIN} x the {timings.startup_spread:.2f} s "
            "start-up varies by"
        )
    return written / timings.work
