"""Where a container's cgroup lies and what its files say, on fake cgroup v2 and v1 trees."""

from __future__ import annotations

from pathlib import Path

from ids2.stack.cgroup import cgroup_directories, container_usage
from ids2.stack.compose import ServiceState

CONTAINER = "system.slice/docker-0123abcd.scope"
V1_NO_LIMIT = "9223372036854771712"  # what a cgroup v1 memory.limit_in_bytes says unlimited


def fake_proc(tmp_path: Path, pid: int, lines: str) -> Path:
    """A /proc with one process whose /proc/PID/cgroup holds `lines`."""
    proc = tmp_path / "proc"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cgroup").write_text(lines)
    return proc


def write_files(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def v2_tree(tmp_path: Path, memory_max: str = "268435456\n") -> Path:
    """A cgroup v2 unified hierarchy with one container, as the Pi has it."""
    root = write_files(tmp_path / "cgroup", {"cgroup.controllers": "cpu memory pids\n"})
    write_files(
        root / CONTAINER,
        {
            "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
            "memory.current": "73400320\n",
            "memory.stat": "anon 41943040\nfile 31457280\ninactive_file 20971520\n",
            "memory.max": memory_max,
        },
    )
    return root


def test_on_cgroup_v2_both_figures_are_in_the_processs_one_directory(tmp_path: Path) -> None:
    root = v2_tree(tmp_path)
    proc = fake_proc(tmp_path, 4242, f"0::/{CONTAINER}\n")
    directories = cgroup_directories(4242, proc, root)
    assert directories == dict.fromkeys(("cpu", "memory"), str(root / CONTAINER))
    assert container_usage(directories, root) == {
        "cpu_seconds": 2.5,
        "memory_bytes": 73400320.0,
        "memory_working_set_bytes": 52428800.0,
        "memory_limit_bytes": 268435456.0,
    }


def test_no_memory_limit_is_no_limit_figure(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, memory_max="max\n")
    usage = container_usage(dict.fromkeys(("cpu", "memory"), str(root / CONTAINER)), root)
    assert usage == {
        "cpu_seconds": 2.5,
        "memory_bytes": 73400320.0,
        "memory_working_set_bytes": 52428800.0,
    }


def test_on_a_hybrid_host_the_figures_come_from_the_v1_hierarchies(tmp_path: Path) -> None:
    """Debian 12 without systemd as PID 1 (this machine): podman's cgroupfs driver, the cpu
    and cpuacct controllers mounted together, the unified hierarchy without controllers."""
    root = tmp_path / "cgroup"
    container = "libpod_parent/libpod-0123abcd"
    write_files(
        root / "cpu,cpuacct" / container,
        {"cpuacct.usage": "1500000000\n", "cpu.stat": "nr_periods 0\nnr_throttled 0\n"},
    )
    memory = root / "memory" / container
    write_files(
        memory,
        {
            "memory.usage_in_bytes": "8388608\n",
            "memory.stat": "inactive_file 1048576\ntotal_inactive_file 2097152\n",
            "memory.limit_in_bytes": "67108864",
        },
    )
    write_files(root / "unified" / container, {"cpu.stat": "usage_usec 99\n"})
    lines = f"4:memory:/{container}\n2:cpu,cpuacct:/{container}\n0::/{container}\n"
    directories = cgroup_directories(7, fake_proc(tmp_path, 7, lines), root)
    assert directories == {"cpu": str(root / "cpu,cpuacct" / container), "memory": str(memory)}
    assert container_usage(directories, root) == {
        "cpu_seconds": 1.5,
        "memory_bytes": 8388608.0,
        "memory_working_set_bytes": 6291456.0,
        "memory_limit_bytes": 67108864.0,
    }
    (memory / "memory.limit_in_bytes").write_text(V1_NO_LIMIT)
    assert "memory_limit_bytes" not in container_usage(directories, root)


def test_a_process_gone_since_inspect_has_no_directories(tmp_path: Path) -> None:
    assert cgroup_directories(4242, tmp_path / "proc", v2_tree(tmp_path)) == {}


def test_a_cgroup_removed_since_the_report_gives_no_figures(tmp_path: Path) -> None:
    """A container restarted between the report and the scrape: its old cgroup is gone."""
    root = v2_tree(tmp_path)
    gone = dict.fromkeys(("cpu", "memory"), str(root / "system.slice/docker-gone.scope"))
    assert container_usage(gone, root) == {}


def test_unreadable_figures_are_left_out(tmp_path: Path) -> None:
    root = v2_tree(tmp_path)
    (root / CONTAINER / "cpu.stat").write_text("user_usec 1\n")
    (root / CONTAINER / "memory.current").write_text("a lot\n")
    usage = container_usage(dict.fromkeys(("cpu", "memory"), str(root / CONTAINER)), root)
    assert usage == {"memory_limit_bytes": 268435456.0}, "no working set without a use"
    (root / CONTAINER / "memory.current").write_text("73400320\n")
    (root / CONTAINER / "memory.stat").write_text("anon 41943040\n")
    usage = container_usage(dict.fromkeys(("cpu", "memory"), str(root / CONTAINER)), root)
    assert usage == {"memory_bytes": 73400320.0, "memory_limit_bytes": 268435456.0}


def test_nothing_outside_the_cgroup_root_is_read(tmp_path: Path) -> None:
    """Files shaped like a cgroup's, outside it: reached by name, by `..` and by a symbolic
    link inside the root, and a report entry that is not a mapping at all."""
    root = v2_tree(tmp_path)
    outside = write_files(
        tmp_path / "outside",
        {"cpu.stat": "usage_usec 1\n", "memory.current": "1\n", "memory.max": "1\n"},
    )
    (root / "link").symlink_to(outside)
    for directory in (outside, root / ".." / "outside", root / "link"):
        assert container_usage(dict.fromkeys(("cpu", "memory"), str(directory)), root) == {}
    assert container_usage(str(root / CONTAINER), root) == {}
    assert container_usage({"cpu": 5, "memory": None}, root) == {}


def test_inspect_gives_the_main_processs_pid() -> None:
    running = {"State": {"Status": "running", "Pid": 4242}}
    assert ServiceState.from_inspect("redis", running).pid == 4242
    assert ServiceState.from_inspect("redis", {"State": {"Status": "exited", "Pid": 0}}).pid == 0
