"""`ids2 up` (what `make run` starts): the RAM disk, the rendered configs, the stack on the
engine, Suricata on the capture interface and the four controllers, until Ctrl-C; and,
with no engine, the rest of the sensor running and saying plainly that the stack is not.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ids2.deploy.engine import answers
from ids2.stack.images import service_images
from tests.engine.engine import (
    Engine,
    containers_conf,
    processes_naming,
    storage_conf,
    wait_until,
)
from tests.engine.images import COMPOSE_FILE
from tests.engine.sensor import Sensor, sensor_on_engine
from tests.opensearch.node import OpenSearchNode
from tests.support.ports import free_port

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
SERVICES = {"alertmanager", "evebox", "grafana", "prometheus", "redis", "redis-exporter", "vector"}
STACK_HEALTHY = (
    "alertmanager healthy, evebox healthy, grafana healthy, prometheus healthy, redis healthy, "
    "redis-exporter none, vector healthy"
)


def run_until_first_status(
    sensor: Sensor, during: Callable[[], object] = lambda: None, **environment: str
) -> str:
    """Start `ids2 up`, wait for its first status screen, call `during`, Ctrl-C it; its
    whole output. Asserts it stopped with exit status 0 and left no process of the sensor
    (nor a podman service it started under the sensor's directory) running."""
    log = sensor.directory / "up.log"
    ramdisk = Path(sensor.config["ramdisk"]["mount_point"])
    with log.open("w") as output:
        process = subprocess.Popen(
            sensor.command("up"),
            env={**sensor.environment, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_until(lambda: "sensor: " in log.read_text() or process.poll() is not None, 180, "up")
        during()
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
        if os.path.ismount(ramdisk):
            subprocess.run(["umount", str(ramdisk)], check=True)
    text = log.read_text()
    assert status == 0, text
    assert "E: " not in text  # Suricata's errors (such as a pidfile it could not write)
    assert processes_naming(sensor.directory) == [], text
    return text


def changed_configs(output: str) -> list[str]:
    """The rendered files `ids2 up` says it installed."""
    line = next(line for line in output.splitlines() if line.startswith("configs: "))
    return line.removeprefix("configs: changed: ").split(", ")


def test_up_runs_the_sensor_with_the_stack_until_interrupted(
    engine: Engine, stack_images: dict[str, str], tmp_path: Path, opensearch_node: OpenSearchNode
) -> None:
    with sensor_on_engine(
        engine, tmp_path, "ids2up", opensearch_node.url, metrics={"port": free_port()}
    ) as sensor:
        output = run_until_first_status(sensor)
        assert f"RAM disk: tmpfs mounted on {tmp_path}/ram_logs" in output
        installed = set(changed_configs(output))
        assert {"suricata.yaml", "threshold.config", "vector.toml", "evebox.yaml"} <= installed
        assert f"stack: {STACK_HEALTHY}\n" in output
        # Ctrl-C stops what `ids2 up` started; the stack keeps running, as under systemd.
        assert set(sensor.stack().states()) == SERVICES


def test_up_starts_podman_and_names_the_image_it_cannot_pull(
    tmp_path: Path, engine: Engine, opensearch_node: OpenSearchNode
) -> None:
    """No engine answers on DOCKER_HOST: `ids2 up` serves podman there itself, for as long
    as it runs. Its storage is empty and no registry answers here, so the first image is
    named in one line, the rest of the sensor runs, and `ids2 status` says why the stack
    is not running."""
    podman = tmp_path / "podman"
    podman.mkdir()
    (podman / "containers.conf").write_text(containers_conf(podman))
    (podman / "storage.conf").write_text(storage_conf(podman))
    socket = podman / "podman.sock"
    vector = service_images(COMPOSE_FILE)["vector"]
    not_running = f"not running: image {vector} is not here and cannot be pulled: "
    statuses: list[subprocess.CompletedProcess[str]] = []
    with sensor_on_engine(
        engine, tmp_path, "ids2none", opensearch_node.url, metrics={"port": free_port()}
    ) as sensor:
        environment = {
            "DOCKER_HOST": f"unix://{socket}",
            "CONTAINERS_CONF": str(podman / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(podman / "storage.conf"),
        }
        try:
            output = run_until_first_status(
                sensor, lambda: statuses.append(sensor.ids2("status", **environment)), **environment
            )
        finally:
            unmount_under(podman)
    assert f"engine: podman system service on {socket}, until ids2 up ends" in output
    line = next(line for line in output.splitlines() if line.startswith("stack: "))
    assert line.startswith(f"stack: {not_running}"), line
    assert "registry-1.docker.io" in line, "the engine's own reason: the registry it tried"
    assert "Suricata and the controllers run, EVE stays on the RAM disk" in output
    assert "Traceback" not in output
    stack_line = next(line for line in statuses[0].stdout.splitlines() if line.startswith("stack "))
    assert stack_line.split(None, 1)[1].startswith(not_running), statuses[0].stdout
    assert not socket.exists() or not answers(socket)


def unmount_under(root: Path) -> None:
    """Lazily unmount what podman's storage left mounted under `root` (its overlay home)."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{root}/")), reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
