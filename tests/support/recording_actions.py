"""A ThrottleActions implementation for tests only: records what it was asked to apply."""

from __future__ import annotations

from dataclasses import dataclass, field

from ids2.system.throttle import LevelSettings


@dataclass
class RecordingActions:
    """Records every applied level; answers with scripted results."""

    results: dict[str, str] = field(default_factory=lambda: {"suricata": "ok: recorded"})
    applied: list[LevelSettings] = field(default_factory=list)

    def apply(self, settings: LevelSettings) -> dict[str, str]:
        self.applied.append(settings)
        return dict(self.results)
