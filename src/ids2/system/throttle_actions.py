"""The real effects of a throttle level: systemd limits on Suricata, container CPU limits
(Vector's from the shipping pace, Prometheus's, Grafana's and EveBox's from the level's
factor; never Redis's).

The resource controller runs as `ids2` without the Docker socket, which is root on the
host: it changes Suricata's limits through systemd (polkit allows that one unit) and asks
systemd to start the root oneshot `ids2-stack-limits@LEVEL.service`, which applies the
containers' limits itself from the config and writes what it did to a state file. The
controller passes nothing but the level number, so the most a compromised controller can
do through the helper is pick one of the four levels the config already defines.

Each action reports what it did or why it could not; a failure never stops the others or
the controller.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from ids2 import TYPE_CHECKING
from ids2.errors import Ids2Error
from ids2.system.throttle import LEVELS
from ids2.system.units import systemctl, systemd_is_running

if TYPE_CHECKING:
    from typing import Any, Protocol

    from ids2.system.throttle import LevelSettings

    class ThrottleActions(Protocol):
        """Applies a level's settings; returns a line per action: 'ok: ...' or 'failed: ...'.
        Without `containers` it leaves the containers alone: none runs to be limited."""

        def apply(self, settings: LevelSettings, containers: bool = True) -> dict[str, str]: ...


SURICATA_UNIT = "suricata.service"
THROTTLED_SERVICES = ("vector", "prometheus", "grafana", "evebox")  # never Redis: it is the buffer
LIMITS_UNIT = "ids2-stack-limits@{level}.service"
LIMITS_STATE = "stack-limits"
"""The helper's state file (in the runtime directory): the level it applied and its results."""
LEVEL_PATTERN = re.compile(r"[0-3]")


def suricata_properties(settings: LevelSettings) -> list[str]:
    """systemd properties for Suricata at this level; empty values lift the limit."""
    quota = settings.suricata_cpu_quota_percent
    memory = settings.suricata_memory_high_mb
    return [
        f"CPUQuota={quota}%" if quota else "CPUQuota=",
        f"MemoryHigh={memory}M" if memory else "MemoryHigh=infinity",
    ]


def set_suricata_limits(settings: LevelSettings) -> str:
    """`systemctl set-property --runtime suricata.service ...`; runtime only, no restart."""
    if not systemd_is_running():
        raise Ids2Error("systemd is not PID 1 here; Suricata's limits cannot be set")
    properties = suricata_properties(settings)
    systemctl("set-property", "--runtime", SURICATA_UNIT, *properties)
    return " ".join(properties)


def parse_level(text: str) -> int:
    """The throttle level in `text` (the helper unit's instance name); Ids2Error unless it
    is exactly one of 0-3, since the helper runs as root on what an unprivileged user asked."""
    if not LEVEL_PATTERN.fullmatch(text):
        choices = ", ".join(str(level) for level in (0, *LEVELS))
        raise Ids2Error(f"throttle level must be one of {choices}, got {text!r}")
    return int(text)


def start_stack_limits(level: int) -> str:
    """Ask systemd to start the helper for `level` without waiting for it: the controller's
    loop stays short, and the helper's outcome arrives in its state file."""
    if not systemd_is_running():
        raise Ids2Error("systemd is not PID 1 here; container limits cannot be set")
    unit = LIMITS_UNIT.format(level=level)
    systemctl("start", "--no-block", unit)
    return f"started {unit}"


def stack_cpus(stack: dict[str, Any]) -> dict[str, float]:
    """The configured CPU limit of each throttled service that is enabled."""
    return {name: stack[name]["cpus"] for name in THROTTLED_SERVICES if stack[name]["enabled"]}


def apply_container_limits(
    cpus: dict[str, float],
    settings: LevelSettings,
    set_cpu_limit: Callable[[str, float], None],
) -> dict[str, str]:
    """Each service's configured limit scaled for the level; a line per service."""
    results = {}
    for service, configured in cpus.items():
        limit = round(configured * settings.cpu_factor(service), 3)
        results[service] = attempt(partial(_set, set_cpu_limit, service, limit))
    return results


def _set(set_cpu_limit: Callable[[str, float], None], service: str, cpus: float) -> str:
    set_cpu_limit(service, cpus)
    return f"cpus={cpus:g}"


class SystemActions:
    """The production actions of the resource controller: Suricata's limits through systemd
    and the helper unit for the containers'; no Docker socket in this process."""

    def apply(self, settings: LevelSettings, containers: bool = True) -> dict[str, str]:
        results = {"suricata": attempt(lambda: set_suricata_limits(settings))}
        if containers:
            results["stack"] = attempt(lambda: start_stack_limits(settings.level))
        return results


def attempt(action: Callable[[], str]) -> str:
    """'ok: <what action returned>' or 'failed: <why>'."""
    try:
        return f"ok: {action()}"
    except (Ids2Error, OSError) as error:
        return f"failed: {error}"
