"""The report's cgroup look-up on this machine's real /proc and /sys/fs/cgroup."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ids2.stack.cgroup import cgroup_directories, container_usage
from ids2.state import StateStore
from ids2.status.facts import _stack, _stack_line

pytestmark = pytest.mark.integration


def test_the_test_processs_own_cgroup_is_found_and_read() -> None:
    """What the report does for each container's main process, done for this one: its
    directories hold it (cgroup.procs lists it), and its figures read back."""
    directories = cgroup_directories(os.getpid())
    assert set(directories) == {"cpu", "memory"}, Path("/proc/self/cgroup").read_text()
    for directory in directories.values():
        assert str(os.getpid()) in (Path(directory) / "cgroup.procs").read_text().split()
    usage = container_usage(directories)
    assert usage["cpu_seconds"] > 0
    assert usage["memory_bytes"] > 0


def test_status_shows_the_memory_a_reported_container_uses_now(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    service = {"status": "running", "health": "none", "ok": True, "restart_count": 0}
    service["cgroup"] = cgroup_directories(os.getpid())
    store.write("metrics", {"stack": {"services": {"vector": service}}})
    stack = _stack(store)
    assert stack is not None
    assert re.fullmatch(r"vector running \d+ MiB", _stack_line(stack))
