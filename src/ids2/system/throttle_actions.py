"""The real effects of a throttle level: systemd limits on Suricata, container CPU limits
(Vector's from the shipping pace, Prometheus's and Grafana's from the level's factor).

Each action reports what it did or why it could not; a failure never stops the others or
the controller. Suricata's limits change at runtime through systemd (never a restart);
container limits change in place through the Docker API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ids2 import TYPE_CHECKING
from ids2.errors import Ids2Error
from ids2.system.units import systemctl, systemd_is_running

if TYPE_CHECKING:
    from typing import Protocol

    from ids2.system.throttle import LevelSettings

    class ThrottleActions(Protocol):
        """Applies a level's settings; returns a line per action: 'ok: ...' or 'failed: ...'."""

        def apply(self, settings: LevelSettings) -> dict[str, str]: ...


SURICATA_UNIT = "suricata.service"
THROTTLED_SERVICES = ("vector", "prometheus", "grafana", "evebox")  # never Redis: it is the buffer
DOCKER_SOCKET = Path("/var/run/docker.sock")


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


class SystemAndStackActions:
    """The production actions: systemd for Suricata, the Docker API for containers."""

    def __init__(self, stack_cpus: dict[str, float], set_cpu_limit: Callable[[str, float], None]):
        self.stack_cpus = stack_cpus
        self.set_cpu_limit = set_cpu_limit

    def apply(self, settings: LevelSettings) -> dict[str, str]:
        results = {"suricata": _attempt(lambda: set_suricata_limits(settings))}
        engine = os.environ.get("DOCKER_HOST") or DOCKER_SOCKET.exists()
        for service, cpus in self.stack_cpus.items():
            if not engine:
                results[service] = "failed: no Docker engine on this machine"
                continue
            limit = round(cpus * settings.cpu_factor(service), 3)
            results[service] = _attempt(partial(self._cpu, service, limit))
        return results

    def _cpu(self, service: str, cpus: float) -> str:
        self.set_cpu_limit(service, cpus)
        return f"cpus={cpus:g}"


def _attempt(action: Callable[[], str]) -> str:
    try:
        return f"ok: {action()}"
    except (Ids2Error, OSError) as error:
        return f"failed: {error}"
