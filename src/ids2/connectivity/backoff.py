"""Exponential backoff with jitter for probes that keep failing."""

from __future__ import annotations

import random


def backoff_delay(
    failures: int,
    initial: float,
    maximum: float,
    multiplier: float,
    jitter: float,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after `failures` consecutive failures (at least 1)."""
    base = min(initial * multiplier ** (max(failures, 1) - 1), maximum)
    spread = base * jitter
    return max((rng or random).uniform(base - spread, base + spread), 0.0)
