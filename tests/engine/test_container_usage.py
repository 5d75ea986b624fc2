"""A real container's CPU and memory, read from its cgroup as the exporter reads them: the
root report names the cgroup of the container's main process, and the files there are read
without root and without the engine, until the container goes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from prometheus_client import CollectorRegistry

from ids2.stack.collector import StackCollector
from ids2.stack.compose import PROJECT_LABEL, SERVICE_LABEL
from ids2.stack.engine import stack_report
from ids2.state import StateStore
from tests.engine.engine import Engine, wait_until

pytestmark = pytest.mark.engine

PROJECT = "ids2usage"
MEMORY_LIMIT = 64 * 2**20
UNPRIVILEGED = ("--reuid=65534", "--regid=65534", "--clear-groups")
UNPRIVILEGED += ("--inh-caps=-all", "--bounding-set=-all")
"""setpriv's options for user and group nobody without capabilities."""
READ_AS_NOBODY = (
    "import json, sys\n"
    "from ids2.stack.cgroup import container_usage\n"
    "print(json.dumps(container_usage(json.loads(sys.argv[1]))))\n"
)


@pytest.fixture
def redis(engine: Engine, stack_images: dict[str, str]) -> Iterator[Any]:
    """The suite's Redis image running as the compose project's `redis` service, with a
    memory limit; removed afterwards."""
    container = engine.client.containers.run(
        stack_images["redis"],
        detach=True,
        mem_limit=MEMORY_LIMIT,
        labels={PROJECT_LABEL: PROJECT, SERVICE_LABEL: "redis"},
    )
    yield container
    with contextlib.suppress(docker.errors.NotFound):  # the test removes it itself
        container.remove(force=True)


def read_as_nobody(directories: dict[str, str]) -> dict[str, float]:
    """container_usage() in a process of user and group nobody with no capabilities, as
    the exporter runs as ids2."""
    result = subprocess.run(
        ["setpriv", *UNPRIVILEGED, sys.executable, "-c", READ_AS_NOBODY, json.dumps(directories)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    usage: dict[str, float] = json.loads(result.stdout)
    return usage


def test_a_containers_memory_and_cpu_come_from_its_cgroup_until_it_goes(
    engine: Engine, redis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    report = stack_report(PROJECT)
    directories = report["services"]["redis"]["cgroup"]
    redis.reload()
    main_process = str(redis.attrs["State"]["Pid"])
    for directory in directories.values():
        assert main_process in (Path(directory) / "cgroup.procs").read_text().split()

    usage = read_as_nobody(directories)
    print(f"\nredis as nobody reads: {usage}")
    assert usage["memory_bytes"] > 0
    assert 0 < usage["memory_working_set_bytes"] <= usage["memory_bytes"]
    assert usage["memory_limit_bytes"] == MEMORY_LIMIT
    assert usage["cpu_seconds"] > 0

    store = StateStore(tmp_path)
    store.write("metrics", {"stack": report})
    registry = CollectorRegistry()
    registry.register(StackCollector(store))
    labels = {"service": "redis"}
    memory = registry.get_sample_value("ids2_container_memory_bytes", labels)
    assert memory is not None and memory > 0
    assert registry.get_sample_value("ids2_container_memory_limit_bytes", labels) == MEMORY_LIMIT

    redis.remove(force=True)  # gone between the report and the next scrape
    wait_until(lambda: not any(map(os.path.exists, directories.values())), 30, "cgroup removed")
    assert registry.get_sample_value("ids2_container_memory_bytes", labels) is None
    assert registry.get_sample_value("ids2_stack_service_running", labels) == 1.0
