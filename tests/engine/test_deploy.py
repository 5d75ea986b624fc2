"""`ids2 deploy` end to end, phases A-G, and `ids2 rollback`, as a person runs them.

What is real: the `ids2` command, the rendered configs and their validators, Suricata
capturing on a veth pair into a namespace of ours, the podman engine running
stack/docker-compose.yml, the config history in git, the OpenSearch node (over plain HTTP,
its ISM calls answered by the double in front of it: that plugin is not published). What is
not: the Vector in the stack (a stand-in container that only answers its health check), so
the shipping is done by the Vector stand-in double, which tails the RAM disk into the node,
and systemd, which is not PID 1 here, so phase G can only say so.
The tests share one sensor and run in file order.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml

from ids2.stack.report import REPORT_STATE
from ids2.state import StateStore
from ids2.suricata.socket import SuricataSocket, SuricataSocketError
from tests.doubles.vector_standin import VectorStandIn
from tests.engine.engine import Engine, terminate, wait_until
from tests.engine.sensor import Sensor, sensor_on_engine
from tests.opensearch.node import OpenSearchNode
from tests.opensearch.target import NodeTarget
from tests.support.netns import HOST_ADDRESS

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
PROJECT = "ids2deploy"
SERVICES = {"vector", "redis", "redis-exporter", "prometheus", "grafana", "alertmanager", "evebox"}
# The rendered files a deploy records; vector.env, grafana.env, evebox.env and
# alertmanager.yml are 0600 and never are.
RECORDED = {
    "suricata.yaml",
    "vector.toml",
    "prometheus.yml",
    "ids2.tmpl",
    "stack.env",
    "stack-limits.yml",
    "ca-bundle.pem",
    "grafana-opensearch.yml",
    "evebox.yaml",
    "ids2-rules-update.timer.conf",
    "ramdisk.mount",
    "suricata.service.conf",
    "ids2.target.conf",
    "ramdisk-users.conf",
    "threshold.config",
    "disable.conf",
    "enable.conf",
    "modify.conf",
}
RULES = 'alert icmp any any -> any any (msg:"ids2 deploy test: ping"; sid:9200001; rev:1;)\n'


def phase_lines(output: str) -> dict[str, str]:
    """Each phase's report line, by letter."""
    return {line[0]: line for line in output.splitlines() if re.match(r"[A-G] ", line)}


def start_suricata(sensor: Sensor) -> subprocess.Popen[str]:
    """Suricata on the capture interface with the suricata.yaml this sensor renders (what
    its unit runs in production); returned once its socket counts packets."""
    scratch = sensor.directory / "suricata"
    rendered = sensor.ids2("config", "render", "--output", str(scratch))
    assert rendered.returncode == 0, rendered.stderr
    (scratch / "test.rules").write_text(RULES)
    command = ["suricata", "-c", str(scratch / "suricata.yaml"), "--af-packet"]
    command += ["-l", str(scratch), "-S", str(scratch / "test.rules")]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    socket_path = Path(sensor.config["sensor"]["unix_socket"])
    interface = sensor.network.host_interface

    def capturing() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        sensor.network.run("ping", "-c", "1", "-W", "1", HOST_ADDRESS)
        try:
            with SuricataSocket(socket_path, timeout=2) as control:
                return bool(control.command("iface-stat", iface=interface)["pkts"] > 0)
        except SuricataSocketError:
            return False

    wait_until(capturing, 90, "Suricata counting packets")
    return process


@pytest.fixture(scope="module")
def sensor(
    engine: Engine,
    stack_images: dict[str, str],
    compose_version: str,
    tmp_path_factory: pytest.TempPathFactory,
    opensearch_node: OpenSearchNode,
) -> Iterator[Sensor]:
    """The sensor with Suricata capturing and the Vector stand-in double shipping."""
    directory = tmp_path_factory.mktemp("sensor")
    with sensor_on_engine(
        engine, directory, PROJECT, opensearch_node.url, secrets={}, verify={"timeout_seconds": 30}
    ) as sensor:
        suricata = start_suricata(sensor)
        prefix = sensor.config["shipping"]["opensearch"]["index_prefix"]
        ramdisk = Path(sensor.config["ramdisk"]["mount_point"])
        try:
            # The real Vector starts in phase D, after phase C installed the template.
            node = NodeTarget(opensearch_node.url).client()
            with VectorStandIn(
                ramdisk,
                prefix,
                opensearch_url=sensor.opensearch.url,
                started=lambda: bool(node.indices.exists_index_template(name=prefix)),
            ):
                yield sensor
        finally:
            terminate([psutil.Process(suricata.pid)])


def container_ids(engine: Engine) -> dict[str, str]:
    containers = engine.client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={PROJECT}"}
    )
    return {c.labels["com.docker.compose.service"]: c.id for c in containers}


def test_a_first_deploy_runs_every_phase(sensor: Sensor, engine: Engine) -> None:
    # What ids2-stack-report.timer last saw, before the deploy started the stack.
    StateStore(sensor.directory / "run").write(REPORT_STATE, {"services": {}})
    result = sensor.ids2("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = phase_lines(result.stdout)
    assert set(lines) == set("ABCDEFG"), result.stdout
    assert all(": ok (" in line for line in lines.values()), result.stdout
    assert f"self-hosted {sensor.opensearch.url} (none auth)" in lines["A"]
    # Generated when the sensor's files were first rendered; never empty, never in history.
    secrets = yaml.safe_load(Path(sensor.config["shipping"]["secrets_file"]).read_text())
    for key, env in (
        ("grafana_admin_password", "grafana.env"),
        ("evebox_admin_password", "evebox.env"),
    ):
        assert len(secrets[key]) >= 24
        assert secrets[key] in (sensor.directory / "rendered" / env).read_text()
    assert secrets["grafana_admin_password"] != secrets["evebox_admin_password"]
    for name in RECORDED | {"vector.env", "grafana.env", "evebox.env", "alertmanager.yml"}:
        assert name in lines["B"]
    assert set(container_ids(engine)) == SERVICES
    assert all(f"{name} healthy" in lines["D"] for name in ("grafana", "vector", "evebox"))
    # Phase D wrote the report of the containers it started: `ids2 status` shows them now.
    report = json.loads((sensor.directory / "run" / "stack.json").read_text())
    assert set(report["services"]) == SERVICES
    assert all(service["ok"] for service in report["services"].values()), report
    assert "opensearch" in lines["C"]
    prefix = sensor.config["shipping"]["opensearch"]["index_prefix"]
    assert f"index template {prefix} created; ISM policy {prefix}-retention created" in lines["C"]
    stored = NodeTarget(sensor.opensearch.url).client().indices.get_index_template(name=prefix)
    assert stored["index_templates"][0]["index_template"]["_meta"]["managed_by"] == "ids2"
    assert f"packets on {sensor.network.host_interface}; canary in the" in lines["E"]
    assert "recorded " in lines["F"]
    assert "systemd is not PID 1 here" in lines["G"]
    assert sensor.history("rev-list", "--count", "HEAD").strip() == "1"
    recorded = set(sensor.history("ls-tree", "--name-only", "HEAD").split())
    assert recorded == RECORDED | {"config.yaml"}  # and the file they were rendered from
    state = json.loads((sensor.directory / "run" / "deploy.json").read_text())
    assert state["ok"] is True


def test_a_second_deploy_changes_nothing(sensor: Sensor, engine: Engine) -> None:
    before = container_ids(engine)
    result = sensor.ids2("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = phase_lines(result.stdout)
    assert "changed: nothing" in lines["B"]
    assert (
        "index template ids2-logs unchanged; ISM policy ids2-logs-retention unchanged" in lines["C"]
    )
    assert "no change since the last recorded deploy" in lines["F"]
    assert container_ids(engine) == before
    assert sensor.history("rev-list", "--count", "HEAD").strip() == "1"


def test_a_failing_phase_says_what_to_fix_and_stops(sensor: Sensor) -> None:
    result = sensor.ids2("deploy", DOCKER_HOST=f"unix://{sensor.directory}/no-engine.sock")
    assert result.returncode == 4
    lines = phase_lines(result.stdout)
    assert set(lines) == set("ABCD"), result.stdout
    assert "D bring up the stack: FAILED" in lines["D"]
    assert "no Docker engine answers" in lines["D"]
    assert "Traceback" not in result.stdout + result.stderr
    state = json.loads((sensor.directory / "run" / "deploy.json").read_text())
    assert state["ok"] is False
    assert state["summary"].startswith("phase D (bring up the stack) failed: no Docker engine")


def test_rollback_restores_the_last_good_configs(sensor: Sensor, engine: Engine) -> None:
    good = (sensor.rendered / "stack.env").read_text()
    document = yaml.safe_load(sensor.config_file.read_text())
    document["stack"]["prometheus"] = {"retention_days": 3}
    sensor.config_file.write_text(yaml.safe_dump(document))
    before = container_ids(engine)

    changed = sensor.ids2("deploy")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    lines = phase_lines(changed.stdout)
    assert "changed: stack.env" in lines["B"]
    assert "IDS2_PROMETHEUS_RETENTION=3d" in (sensor.rendered / "stack.env").read_text()
    after = container_ids(engine)
    assert after["prometheus"] != before["prometheus"]  # recreated with the new retention
    prometheus = engine.client.containers.get(after["prometheus"])
    assert "--storage.tsdb.retention.time=3d" in prometheus.attrs["Args"]
    assert after["vector"] == before["vector"]
    assert sensor.history("rev-list", "--count", "HEAD").strip() == "2"

    rollback = sensor.ids2("rollback")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert "changed stack.env; stack: alertmanager healthy" in rollback.stdout
    assert (sensor.rendered / "stack.env").read_text() == good
    assert sensor.history("log", "-1", "--format=%s").startswith("rollback to ")
    # The running Prometheus follows the restored file again.
    prometheus = engine.client.containers.get(container_ids(engine)["prometheus"])
    assert "--storage.tsdb.retention.time=7d" in prometheus.attrs["Args"]
