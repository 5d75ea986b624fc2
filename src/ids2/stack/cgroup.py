"""Each container's CPU and memory, read from its cgroup's files rather than from the engine.

The engine's stats are behind the Docker socket, root on the host, which no long-running
controller holds. The root oneshot `ids2 stack-report` already learns each container's
main process from inspect: it records where that process's cgroup lies, from
/proc/PID/cgroup, so whatever the engine (Docker, podman) or its cgroup driver (systemd,
cgroupfs) names it. The exporter, running as ids2, reads the figures there at scrape time:
the kernel makes them world-readable.
"""

from __future__ import annotations

from pathlib import Path

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    Files = tuple[tuple[str, Callable[[str], float | None]], ...]

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_HIERARCHIES = {"cpu": "cpuacct", "memory": "memory"}
"""The cgroup v1 controller whose hierarchy holds each figure, on a host without the
unified hierarchy on CGROUP_ROOT (a hybrid one, as Debian 12 without systemd as PID 1)."""
V1_NO_LIMIT = 2**62
"""cgroup v1 writes "no limit" as the largest page count in bytes, just under 2**63."""


def cgroup_directories(
    pid: int, proc: Path = Path("/proc"), root: Path = CGROUP_ROOT
) -> dict[str, str]:
    """The directories holding process `pid`'s CPU and memory figures, as {"cpu": ...,
    "memory": ...}: both its one directory on the cgroup v2 unified hierarchy when that is
    mounted on `root` (the Pi), else its cpuacct and memory hierarchies' directories.

    Empty when the process is gone (the container stopped since inspect): nothing to read.
    """
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return {}
    hierarchies = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        directory = root / controllers / path.lstrip("/")  # v2's line has no controllers
        hierarchies.update(dict.fromkeys(controllers.split(","), str(directory)))
    if (root / "cgroup.controllers").is_file():
        return dict.fromkeys(V1_HIERARCHIES, hierarchies[""]) if "" in hierarchies else {}
    return {
        figure: hierarchies[controller]
        for figure, controller in V1_HIERARCHIES.items()
        if controller in hierarchies
    }


def _usage_usec(text: str) -> float:
    for line in text.splitlines():
        key, value = line.split()
        if key == "usage_usec":
            return int(value) / 1e6
    raise ValueError("no usage_usec")


def _v2_limit(text: str) -> float | None:
    return None if text.strip() == "max" else float(int(text))


def _v1_limit(text: str) -> float | None:
    return None if int(text) >= V1_NO_LIMIT else float(int(text))


def _nanoseconds(text: str) -> float:
    return int(text) / 1e9


def _inactive_file(text: str) -> float:
    stats = dict(line.split() for line in text.splitlines())
    # v1's own inactive_file leaves out the children that its usage_in_bytes counts.
    value = stats.get("total_inactive_file") or stats.get("inactive_file")
    if value is None:
        raise ValueError("no inactive_file")
    return float(value)


FIGURES: dict[str, tuple[str, Files]] = {
    "cpu_seconds": ("cpu", (("cpuacct.usage", _nanoseconds), ("cpu.stat", _usage_usec))),
    "memory_bytes": ("memory", (("memory.current", float), ("memory.usage_in_bytes", float))),
    "memory_limit_bytes": (
        "memory",
        (("memory.max", _v2_limit), ("memory.limit_in_bytes", _v1_limit)),
    ),
    "inactive_file_bytes": ("memory", (("memory.stat", _inactive_file),)),
}
"""Each figure: the directory it is in, then its files as (name, parser), tried in turn
where v2 and v1 name them differently (cpuacct.usage first: v1's cpu controller has a
cpu.stat too, without usage_usec). A parser's None means no limit."""


def _inside(directory: object, root: Path) -> Path | None:
    """`directory` when it is a path under `root` once resolved, else None: the report is
    root's, but the exporter reads nothing it names outside the cgroup file system."""
    if not isinstance(directory, str):
        return None
    path = Path(directory).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def _figure(directory: Path, files: Files) -> float | None:
    for name, parse in files:
        try:
            text = (directory / name).read_text()
        except FileNotFoundError:
            continue
        except OSError:  # ENODEV and the like, from a cgroup being removed
            return None
        try:
            return parse(text)
        except ValueError:
            return None
    return None


def container_usage(directories: object, root: Path = CGROUP_ROOT) -> dict[str, float]:
    """A container's CPU time (seconds), memory use, working set and memory limit (bytes)
    read now from the `directories` cgroup_directories() gave, under `root`.

    The working set is the memory use less the file cache the kernel would drop first (as
    cAdvisor and the kubelet count it): memory.current counts every page the container
    read or wrote, so Vector's disk buffer or Prometheus's TSDB keep it near the limit.

    What cannot be read is left out, never raised: a container restarted since the report
    has a new cgroup and the old one is gone; `directories` that are not such a mapping, or
    name a directory outside `root`, are not read; a container without a memory limit has
    no memory_limit_bytes.
    """
    if not isinstance(directories, dict):
        return {}
    usage = {}
    for figure, (kind, files) in FIGURES.items():
        directory = _inside(directories.get(kind), root)
        value = None if directory is None else _figure(directory, files)
        if value is not None:
            usage[figure] = value
    inactive = usage.pop("inactive_file_bytes", None)
    if inactive is not None and "memory_bytes" in usage:
        usage["memory_working_set_bytes"] = max(usage["memory_bytes"] - inactive, 0.0)
    return usage
