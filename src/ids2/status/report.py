"""`ids2 status`: one screen of sensor health, read from the controllers' state files."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from ids2.controllers import CONTROLLERS
from ids2.state import State, StateStore

STALE_AFTER_INTERVALS = 3
STALE_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class ControllerHealth:
    """How one controller looks from outside, judged from its state file alone."""

    name: str
    state: str  # ok, unhealthy, stale, missing
    summary: str
    age_seconds: float | None
    data: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def judge(name: str, state: State | None, now: float) -> ControllerHealth:
    """Classify one controller: missing, stale (not written for 3 intervals), unhealthy, ok."""
    if state is None:
        return ControllerHealth(name, "missing", "no state file; is the unit running?", None, {})
    age = state.age(now)
    interval = state.data.get("interval", 0)
    limit = STALE_AFTER_INTERVALS * float(interval if isinstance(interval, int | float) else 0)
    summary = str(state.data.get("summary", ""))
    if age > limit + STALE_GRACE_SECONDS:
        verdict = "stale"
    elif state.data.get("healthy") is True:
        verdict = "ok"
    else:
        verdict = "unhealthy"
    return ControllerHealth(name, verdict, summary, round(age, 1), state.data)


def collect(store: StateStore, now: float | None = None) -> list[ControllerHealth]:
    """Health of every known controller, in a stable order."""
    now = time.time() if now is None else now
    return [judge(name, store.read(name), now) for name in sorted(CONTROLLERS)]


def render_text(healths: list[ControllerHealth]) -> str:
    """The human screen: a line per controller and an overall verdict."""
    lines = []
    for health in healths:
        age = "-" if health.age_seconds is None else f"{health.age_seconds:.0f}s ago"
        lines.append(f"{health.name:<13} {health.state:<10} {age:>9}  {health.summary}")
    verdict = "healthy" if all(h.ok for h in healths) else "UNHEALTHY"
    lines.append(f"sensor: {verdict}")
    return "\n".join(lines)


def render_json(healths: list[ControllerHealth]) -> str:
    """The same for scripts."""
    return json.dumps(
        {"healthy": all(h.ok for h in healths), "controllers": [asdict(h) for h in healths]},
        indent=2,
        sort_keys=True,
    )
