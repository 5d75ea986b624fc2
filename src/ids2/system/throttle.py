"""Throttle levels: choosing one from the load, and what each level asks for.

Rising is immediate (the box is already hot); falling needs the load to drop a hysteresis
margin below a level's threshold, so a load hovering at a threshold does not flap.
"""

from __future__ import annotations

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

from ids2.system.pace import PACE_FACTORS

LEVELS = (1, 2, 3)
SHIPPER = "vector"
"""The container whose CPU limit follows the shipping pace rather than the level's factor."""


class LevelSettings:
    """The limits one level applies; level 0 lifts them all.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = (
        "container_cpu_factor",
        "level",
        "shipping_pace",
        "suricata_cpu_quota_percent",
        "suricata_memory_high_mb",
    )

    def __init__(
        self,
        level: int,
        suricata_cpu_quota_percent: int,  # 0: unlimited
        suricata_memory_high_mb: int,  # 0: unlimited
        container_cpu_factor: float,
        shipping_pace: str,
    ) -> None:
        self.level = level
        self.suricata_cpu_quota_percent = suricata_cpu_quota_percent
        self.suricata_memory_high_mb = suricata_memory_high_mb
        self.container_cpu_factor = container_cpu_factor
        self.shipping_pace = shipping_pace

    def cpu_factor(self, service: str) -> float:
        """The factor on `service`'s configured CPU limit: Vector ships, so a slower pace
        gives it less CPU (half at reduced, a quarter at minimal) and shipping lags behind
        capture while the RAM disk holds the EVE; the others take the level's factor."""
        if service == SHIPPER:
            return 1 / PACE_FACTORS[self.shipping_pace]
        return self.container_cpu_factor


def thresholds(resources: dict[str, Any]) -> list[int]:
    """The level 1-3 thresholds, in percent."""
    return [resources[f"level{level}"]["threshold_percent"] for level in LEVELS]


def choose_level(load: float, current: int, limits: list[int], hysteresis: float) -> int:
    """The level for a smoothed `load` (percent), given the level we are at now."""
    target = sum(1 for limit in limits if load >= limit)
    if target >= current:
        return target
    level = current
    while level > target and load < limits[level - 1] - hysteresis:
        level -= 1
    return level


def settings_for(resources: dict[str, Any], level: int) -> LevelSettings:
    """What `level` asks for, from the `resources` section of the config."""
    if level == 0:
        return LevelSettings(0, 0, 0, 1.0, "normal")
    section = resources[f"level{level}"]
    return LevelSettings(
        level,
        section["suricata_cpu_quota_percent"],
        section["suricata_memory_high_mb"],
        section["container_cpu_factor"],
        section["shipping_pace"],
    )
