"""A ThrottleActions implementation for tests only: records what it was asked to apply."""

from __future__ import annotations

from dataclasses import dataclass, field

from ids2.system.throttle import LevelSettings


@dataclass
class RecordingActions:
    """Records every applied level and whether the containers were part of it; answers
    with scripted results (without the stack's when they were not)."""

    results: dict[str, str] = field(default_factory=lambda: {"suricata": "ok: recorded"})
    applied: list[LevelSettings] = field(default_factory=list)
    with_containers: list[bool] = field(default_factory=list)

    def apply(self, settings: LevelSettings, containers: bool = True) -> dict[str, str]:
        self.applied.append(settings)
        self.with_containers.append(containers)
        return {k: v for k, v in self.results.items() if containers or k != "stack"}
