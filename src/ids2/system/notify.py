"""The sd_notify side of a Type=notify service: READY, STATUS, WATCHDOG, RELOADING, STOPPING.

Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op, so controllers run the same
way in a terminal. The variables are removed from the environment so that child processes
(suricata -T, systemctl, git) never talk to our notify socket by mistake.
"""

from __future__ import annotations

import os
import time
from collections.abc import MutableMapping

import sdnotify


class Notifier:
    """Sends sd_notify messages and knows the watchdog period systemd asked for."""

    def __init__(self, environ: MutableMapping[str, str] = os.environ) -> None:
        socket_path = environ.get("NOTIFY_SOCKET")
        self._notifier = sdnotify.SystemdNotifier() if socket_path else None
        self.watchdog_seconds = _watchdog_period(environ)
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            environ.pop(name, None)

    @property
    def active(self) -> bool:
        """True when a service manager listens."""
        return self._notifier is not None

    def send(self, *assignments: str) -> None:
        """Send one datagram with the given VAR=value lines."""
        if self._notifier is not None:
            self._notifier.notify("\n".join(assignments))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def reloading(self) -> None:
        monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec}")

    def stopping(self) -> None:
        self.send("STOPPING=1")


def _watchdog_period(environ: MutableMapping[str, str]) -> float | None:
    """Seconds systemd waits between WATCHDOG=1 before killing us, or None when off."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000
