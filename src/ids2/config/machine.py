"""Facts about the machine that some configuration checks depend on (cores, RAM, NICs)."""

from __future__ import annotations

import os
import socket


class Machine:
    """What the configuration is checked against; tests pass their own.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("cpu_count", "interfaces", "memory_mb")

    def __init__(self, cpu_count: int, memory_mb: int, interfaces: frozenset[str]) -> None:
        self.cpu_count = cpu_count
        self.memory_mb = memory_mb
        self.interfaces = interfaces

    @classmethod
    def this_one(cls) -> Machine:
        """Read the facts of the machine we run on, without importing psutil."""
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        try:
            interfaces = frozenset(name for _, name in socket.if_nameindex())
        except OSError:
            interfaces = frozenset()
        return cls(os.cpu_count() or 1, memory_bytes // (1024 * 1024), interfaces)
