"""The shipping pace the resource controller publishes: a factor on non-critical intervals,
and the divisor of Vector's CPU limit (`ids2.system.throttle`)."""

from __future__ import annotations

from ids2.state import StateStore

PACE_FACTORS = {"normal": 1.0, "reduced": 2.0, "minimal": 4.0}


def pace_factor(state: StateStore) -> float:
    """How much the resource controller wants non-critical work spaced out (1, 2 or 4)."""
    resource = state.read("resource")
    pace = resource.data.get("shipping_pace", "normal") if resource else "normal"
    return PACE_FACTORS.get(str(pace), 1.0)
