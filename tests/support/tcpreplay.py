"""What tcpreplay says it sent, so that a benchmark tells a rate the replay reached from one
it only asked for: past tcpreplay's own ceiling, "no drops" says nothing about Suricata."""

from __future__ import annotations

import re
from dataclasses import dataclass

REACHED = 0.95
"""The share of the asked rate a replay must reach to count as replayed at that rate."""


@dataclass(frozen=True)
class Replayed:
    """A finished replay: packets sent and failed, seconds taken, packets per second."""

    packets: int
    failed: int
    seconds: float
    rate: float

    def reached(self, asked: int) -> bool:
        """Whether the replay went at (nearly) the `asked` packets per second."""
        return self.rate >= REACHED * asked


def replayed(output: str) -> Replayed:
    """The figures of tcpreplay's (4.x) closing statistics in `output`.

    Raises ValueError naming the line that is missing, as when tcpreplay failed to start.
    """
    patterns = {
        "Actual": r"^Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds",
        "Rated": r"^Rated: .*, ([\d.]+) pps",
        "Failed packets": r"^\s*Failed packets:\s+(\d+)",
    }
    found = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"tcpreplay's output has no '{name}' line: {output.strip()!r}")
        found[name] = match.groups()
    (packets, seconds), (rate,), (failed,) = found.values()
    return Replayed(int(packets), int(failed), float(seconds), float(rate))
