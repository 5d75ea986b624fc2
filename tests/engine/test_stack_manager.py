"""StackManager against a real Docker-API engine (podman), through stack/docker-compose.yml
itself with the environment `ids2 deploy` renders: bring-up, health, state, restarts, CPU
limits from the root helper the resource controller starts (`ids2 stack-limits LEVEL`),
bring-down, and clear errors.

The tests of the running stack share one bring-up and run in file order until the one that
brings it down; the error tests after it use projects of their own. Vector and Grafana are
stand-ins (tests/engine/images/); Redis, Prometheus and the Redis exporter are Debian's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker
import pytest
import yaml
from prometheus_client import CollectorRegistry

from ids2.common.apply import apply_files
from ids2.common.stack_files import stack_dir
from ids2.config.load import Config, load_config, load_secrets
from ids2.controllers.metrics import MetricsController
from ids2.controllers.resource import ResourceController
from ids2.deploy.render import render_all
from ids2.shipping.vector import CONTAINER_CA_BUNDLE
from ids2.stack.collector import StackCollector
from ids2.stack.compose import StackError, StackManager
from ids2.stack.engine import write_report
from ids2.stack.render import compose_files, disabled_services
from ids2.state import StateStore
from ids2.system.throttle import LevelSettings, settings_for
from ids2.system.throttle_actions import LIMITS_STATE
from tests.engine.engine import Engine, gone_meanwhile, wait_until
from tests.engine.health import HealthPump
from tests.engine.sensor_config import rendered_config
from tests.support.tls_certs import make_ca

pytestmark = pytest.mark.engine

SERVICES = {"vector", "redis", "redis-exporter", "prometheus", "grafana", "alertmanager", "evebox"}
HEALTH_TIMEOUT_SECONDS = 90


@pytest.fixture(scope="module")
def running(
    engine: Engine,
    stack_images: dict[str, str],
    compose_version: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StackManager, Config]]:
    """The stack brought up once for this module, with health checks pumped; shipping to a
    self-hosted OpenSearch with a private CA, so Vector gets a CA bundle."""
    directory = tmp_path_factory.mktemp("stack")
    ca_bundle = make_ca(directory).bundle
    opensearch = {"endpoint": "https://localhost:9200", "ca_bundle": str(ca_bundle)}
    # EveBox on loopback and a port of its own: netavark forwards loopback only to ports
    # bound to 127.0.0.1, and the test asks from the engine's namespace.
    evebox = {"listen_address": "127.0.0.1", "port": 5637}
    config = rendered_config(
        directory, shipping={"opensearch": opensearch}, stack={"evebox": evebox}
    )
    with pytest.MonkeyPatch.context() as patch, HealthPump(engine) as pump:
        patch.setenv("DOCKER_HOST", engine.docker_host)
        manager = StackManager(
            compose_files(config),
            config["stack"]["project_name"],
            Path(config["paths"]["rendered_dir"]) / "stack.env",
        )
        manager.up()
        yield manager, config
        manager.down()
    assert not pump.errors


def container_of(engine: Engine, manager: StackManager, service: str) -> Any:
    project = f"com.docker.compose.project={manager.project}"
    found = engine.client.containers.list(
        all=True, filters={"label": [project, f"com.docker.compose.service={service}"]}
    )
    assert len(found) == 1, f"{service}: {found}"
    return found[0]


def prometheus_api(engine: Engine, path: str) -> Any:
    """The data of Prometheus's answer to GET /api/v1/PATH (it listens in the namespace)."""
    answer = engine.in_namespace("busybox", "wget", "-qO-", f"http://127.0.0.1:9090/api/v1/{path}")
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)["data"]


def cgroup_cpu_quota(pid: int) -> int:
    """The CFS quota (microseconds per period) of the cgroup of process `pid`, as the kernel
    enforces it; -1 for none."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):  # cgroup v1
            return int(Path(f"/sys/fs/cgroup/{controllers}{path}/cpu.cfs_quota_us").read_text())
        if controllers == "":  # cgroup v2
            quota = Path(f"/sys/fs/cgroup{path}/cpu.max").read_text().split()[0]
            return -1 if quota == "max" else int(quota)
    raise AssertionError(f"no cpu cgroup for {pid}")


def run_ids2(config: Config, runtime: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """A root oneshot's `ids2` command (stack-limits, stack-report) as its unit runs it, on
    the test's engine and with the test's runtime directory."""
    environment = {**os.environ, "IDS2_RUNTIME_DIR": str(runtime)}
    return subprocess.run(
        [sys.executable, "-m", "ids2", *arguments, "--config", config.source],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def shipped_rule_count() -> int:
    rule_files = (stack_dir() / "prometheus/rules").glob("*.yml")
    return sum(
        len(group["rules"])
        for path in rule_files
        for group in yaml.safe_load(path.read_text())["groups"]
    )


def test_every_service_comes_up_healthy_with_its_rendered_limits(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, config = running
    states = manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)
    assert set(states) == SERVICES
    assert all(state.status == "running" for state in states.values())
    checked = {name for name, state in states.items() if state.health != "none"}
    assert checked == SERVICES - {"redis-exporter"}
    assert {state.health for name, state in states.items() if name in checked} == {"healthy"}
    for service in ("vector", "redis", "prometheus", "grafana", "evebox"):
        assert states[service].cpus == config["stack"][service]["cpus"]
    # Prometheus runs every shipped alert rule (it refuses to start on a bad rule file).
    groups = prometheus_api(engine, "rules")["groups"]
    assert sum(len(group["rules"]) for group in groups) == shipped_rule_count() == 13


def test_the_metrics_controller_reports_each_service_as_the_manager_sees_it(
    running: tuple[StackManager, Config], tmp_path: Path
) -> None:
    """Read with the standard library over the socket by the root `ids2 stack-report`,
    published in the metrics state, and exported; the same facts as the docker SDK gives
    StackManager."""
    manager, config = running
    manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)
    store = StateStore(tmp_path / "run")
    report = run_ids2(config, tmp_path / "run", "stack-report")
    assert report.returncode == 0, report.stderr
    controller = MetricsController(config, store)
    controller.state.write("metrics", {"stack": controller.stack_report()})
    report = store.read("metrics")
    assert report is not None
    services = report.data["stack"]["services"]
    expected = {
        name: {"status": s.status, "health": s.health, "ok": s.ok, "restart_count": s.restart_count}
        for name, s in manager.states().items()
    }
    cgroups = {name: service.pop("cgroup") for name, service in services.items()}
    assert services == expected
    assert all(cgroups.values()), cgroups  # each running container's, for ids2_container_*
    registry = CollectorRegistry()
    registry.register(StackCollector(store))
    assert registry.get_sample_value("ids2_stack_engine_up") == 1.0
    for service in SERVICES:
        assert registry.get_sample_value("ids2_stack_service_healthy", {"service": service}) == 1


def test_prometheus_scrapes_the_stack_across_its_networks(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    """Prometheus on the host's network reaches Vector's and the Redis exporter's ports
    published on loopback, and the exporter reaches Redis on the internal network."""

    def healthy_jobs() -> set[str]:
        targets = prometheus_api(engine, "targets")["activeTargets"]
        return {target["labels"]["job"] for target in targets if target["health"] == "up"}

    wanted = {"vector", "redis", "prometheus"}  # not ids2: its exporter is not running here
    wait_until(lambda: wanted <= healthy_jobs(), 60, f"Prometheus scraping {wanted}")
    redis_up = prometheus_api(engine, "query?query=redis_up")["result"]
    assert [sample["value"][1] for sample in redis_up] == ["1"]


def test_vector_reads_the_configured_ca_bundle_where_its_sink_looks(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, config = running
    vector_toml = (Path(config["paths"]["rendered_dir"]) / "vector.toml").read_text()
    assert f'ca_file = "{CONTAINER_CA_BUNDLE}"' in vector_toml
    seen = container_of(engine, manager, "vector").exec_run(["cat", CONTAINER_CA_BUNDLE])
    assert seen.exit_code == 0, seen.output
    assert seen.output == Path(config["shipping"]["opensearch"]["ca_bundle"]).read_bytes()


def test_evebox_gets_its_admin_the_alerts_read_only_and_its_published_port(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    """The entry command made the user admin with the secrets file's password (the
    stand-in keeps its SHA-256) before the server started, again after a restart without
    a second admin; the server got the rendered config, cannot write the RAM disk, keeps its
    data in the state directory, and answers /api/version on the published port."""
    manager, config = running
    manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)
    password = load_secrets(Path(config["shipping"]["secrets_file"]))["evebox_admin_password"]
    admin = f"admin {hashlib.sha256(password.encode()).hexdigest()}"
    users = Path(config["paths"]["state_dir"]) / "evebox" / "standin-users"
    assert users.read_text().splitlines() == [admin]
    manager.restart("evebox")
    manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)
    assert users.read_text().splitlines() == [admin]
    container = container_of(engine, manager, "evebox")
    rendered = (Path(config["paths"]["rendered_dir"]) / "evebox.yaml").read_bytes()
    assert container.exec_run(["cat", "/etc/evebox/evebox.yaml"]).output == rendered
    assert container.exec_run(["touch", "/mnt/ram_logs/written"]).exit_code != 0
    environment = container.exec_run(["cat", "/proc/1/environ"]).output.decode()
    assert "IDS2_EVEBOX_PASSWORD" not in environment and password not in environment
    answer = engine.in_namespace("busybox", "wget", "-qO-", "http://127.0.0.1:5637/api/version")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["version"] == "0.28.0"


def test_a_crashed_container_is_restarted_by_the_engine(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, _ = running
    container = container_of(engine, manager, "vector")
    before = manager.states()["vector"].restart_count
    crashed = container.attrs["State"]["Pid"]
    assert crashed > 0
    os.kill(crashed, signal.SIGKILL)

    def restarted() -> bool:
        try:
            container.reload()
        except docker.errors.APIError as error:
            if gone_meanwhile(error):
                return False  # asked while the engine was between the crash and the restart
            raise
        return bool(container.status == "running" and container.attrs["State"]["Pid"] != crashed)

    wait_until(restarted, 30, "vector restarted by its restart policy")
    states = manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)
    assert states["vector"].restart_count == before + 1


def test_a_stopped_container_is_reported_and_restarted_by_the_manager(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, _ = running
    # A kill through the API counts as stopped by the user: no restart policy applies.
    container_of(engine, manager, "grafana").kill()
    wait_until(lambda: manager.states()["grafana"].status == "exited", 30, "grafana exited")
    assert not manager.states()["grafana"].ok
    manager.restart("grafana")
    assert manager.wait_healthy(HEALTH_TIMEOUT_SECONDS)["grafana"].ok


def run_helper(config: Config, level: str, runtime: Path) -> subprocess.CompletedProcess[str]:
    """`ids2 stack-limits LEVEL` as ids2-stack-limits@LEVEL.service runs it."""
    return run_ids2(config, runtime, "stack-limits", level)


class SystemdStartDouble:
    """Stands in for `systemctl start --no-block ids2-stack-limits@LEVEL.service`: no
    systemd manages this test's units, so the helper's command runs at once."""

    def __init__(self, config: Config, runtime: Path) -> None:
        self.config = config
        self.runtime = runtime

    def apply(self, settings: LevelSettings, containers: bool = True) -> dict[str, str]:
        if not containers:
            return {}
        helper = run_helper(self.config, str(settings.level), self.runtime)
        return {"stack": f"ok: helper exited {helper.returncode}"}


def test_level_one_from_the_resource_controller_halves_vectors_cpu_alone(
    running: tuple[StackManager, Config],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The controller with the shipped levels, at a load between level 1 (50 %) and level 2
    (58 %), through the helper: Vector's cgroup quota halves; Prometheus's and Grafana's stay
    as configured; the helper's results reach the controller's state.

    The load is a double of psutil's samples: this shared machine's real load cannot be held
    between two thresholds. The limits are read back from the kernel."""
    manager, config = running
    monkeypatch.setattr("psutil.cpu_percent", lambda percpu=False: [55.0, 55.0])
    monkeypatch.setattr("psutil.virtual_memory", lambda: SimpleNamespace(percent=20.0))
    runtime = tmp_path / "run"
    # The root report the controller reads first: the running stack, from the engine.
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    write_report(StateStore(runtime), config["stack"]["project_name"])
    controller = ResourceController(
        config, StateStore(runtime), SystemdStartDouble(config, runtime)
    )
    controller.setup()
    controller.step()
    assert controller.level == 1
    assert controller.action_results["stack"] == "ok: helper exited 0"
    pids = {
        service: container_of(engine, manager, service).attrs["State"]["Pid"]
        for service in ("vector", "prometheus", "grafana")
    }
    vector = config["stack"]["vector"]["cpus"]
    assert controller.action_results["vector"] == f"ok: cpus={vector / 2:g}"
    assert cgroup_cpu_quota(pids["vector"]) == round(vector / 2 * 100_000)
    for service in ("prometheus", "grafana"):
        assert cgroup_cpu_quota(pids[service]) == round(config["stack"][service]["cpus"] * 100_000)


def test_the_helper_changes_cpu_limits_in_place_and_says_what_it_did(
    running: tuple[StackManager, Config], engine: Engine, tmp_path: Path
) -> None:
    manager, config = running
    before = {
        service: container_of(engine, manager, service).attrs["State"]
        for service in ("vector", "prometheus", "grafana", "evebox", "redis")
    }
    helper = run_helper(config, "3", tmp_path)
    assert helper.returncode == 0, helper.stderr
    written = StateStore(tmp_path).read(LIMITS_STATE)
    assert written is not None and written.data["level"] == 3
    results = written.data["results"]
    level = settings_for(config["resources"], 3)
    for service in ("vector", "prometheus", "grafana", "evebox"):
        limit = round(config["stack"][service]["cpus"] * level.cpu_factor(service), 3)
        assert results[service] == f"ok: cpus={limit:g}"
        assert f"{service}: ok: cpus={limit:g}" in helper.stdout.splitlines()
        pid = before[service]["Pid"]
        assert cgroup_cpu_quota(pid) == round(limit * 100_000)
        after = container_of(engine, manager, service).attrs["State"]
        assert (after["Pid"], after["StartedAt"]) == (pid, before[service]["StartedAt"])
    # Redis is the buffer: never throttled.
    assert "redis" not in results
    assert cgroup_cpu_quota(before["redis"]["Pid"]) == config["stack"]["redis"]["cpus"] * 100_000


def test_the_helper_refuses_anything_but_a_level_and_touches_nothing(
    running: tuple[StackManager, Config], engine: Engine, tmp_path: Path
) -> None:
    manager, config = running
    vector = container_of(engine, manager, "vector").attrs["State"]["Pid"]
    quota = cgroup_cpu_quota(vector)
    helper = run_helper(config, "4", tmp_path)
    assert helper.returncode != 0
    assert helper.stderr == "ids2: throttle level must be one of 0, 1, 2, 3, got '4'\n"
    assert StateStore(tmp_path).read(LIMITS_STATE) is None
    assert cgroup_cpu_quota(vector) == quota


def test_up_again_leaves_the_running_containers_alone(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, _ = running
    ids = {service: container_of(engine, manager, service).id for service in SERVICES}
    manager.up()
    assert {service: container_of(engine, manager, service).id for service in SERVICES} == ids


def test_a_disabled_service_is_removed_and_comes_back_when_enabled(
    running: tuple[StackManager, Config],
) -> None:
    manager, config = running
    path = Path(config["paths"]["rendered_dir"]).parent / "config.yaml"
    document = yaml.safe_load(path.read_text())

    def deploy_with_grafana(enabled: bool) -> None:
        document["stack"] = {**document["stack"], "grafana": {"enabled": enabled}}
        path.write_text(yaml.safe_dump(document))
        changed = load_config(path)
        apply_files(render_all(changed), Path(changed["paths"]["rendered_dir"]))
        manager.up()
        manager.remove(disabled_services(changed))

    deploy_with_grafana(False)
    assert set(manager.states()) == SERVICES - {"grafana"}
    manager.up()
    assert "grafana" not in manager.states(), "up again must not start a disabled service"
    deploy_with_grafana(True)
    assert set(manager.states()) == SERVICES


def test_down_removes_every_container_and_keeps_the_data_volumes(
    running: tuple[StackManager, Config], engine: Engine
) -> None:
    manager, _ = running
    manager.down()
    assert manager.states() == {}
    volumes = {volume.name for volume in engine.client.volumes.list()}
    assert {f"{manager.project}_redis-data", f"{manager.project}_prometheus-data"} <= volumes


def test_a_service_that_keeps_crashing_says_why(
    engine: Engine,
    stack_images: dict[str, str],
    compose_version: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    health_pump: HealthPump,
) -> None:
    compose_file = tmp_path / "docker-compose.yml"
    compose_file.write_text(
        yaml.safe_dump(
            {
                "services": {
                    "broken": {
                        "image": stack_images["redis"],
                        "command": ["redis-server", "--no-such-option", "yes"],
                        "restart": "unless-stopped",
                    }
                }
            }
        )
    )
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    manager = StackManager([compose_file], "ids2broken")
    manager.up()
    try:
        with pytest.raises(StackError) as raised:
            manager.wait_healthy(5)
    finally:
        manager.down()
    message = str(raised.value)
    assert message.startswith("not healthy after 5 s: broken ")
    assert re.search(r", restarted [1-9]\d* times, last log line: Bad directive", message)


def test_a_missing_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    manager = StackManager([stack_dir() / "docker-compose.yml"], "ids2-none")
    with pytest.raises(StackError, match="no Docker engine answers"):
        manager.up()
    with pytest.raises(StackError, match="no Docker engine answers"):
        manager.set_cpu_limit("vector", 0.5)


def test_a_missing_image_is_a_clear_error(
    engine: Engine,
    stack_images: dict[str, str],
    compose_version: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = rendered_config(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    manager = StackManager(
        compose_files(config), "ids2missing", Path(config["paths"]["rendered_dir"]) / "stack.env"
    )
    redis = engine.client.images.get(stack_images["redis"])
    engine.client.images.remove(stack_images["redis"])  # the tag only: the local name stays
    try:
        with pytest.raises(StackError) as raised:
            manager.up()
    finally:
        redis.tag(*stack_images["redis"].rsplit(":", 1))
        manager.down()
    # One line that names the image and why, without compose's progress lines: v1 says
    # "Cannot create container for service redis: no such image: ...", v2 that the
    # registry of redis:7.2.5-alpine cannot be reached.
    message = str(raised.value)
    assert message.startswith("compose up failed: ") and "\n" not in message, compose_version
    assert stack_images["redis"].rsplit("/", 1)[1] in message, message
    assert "Pulling" not in message, message
