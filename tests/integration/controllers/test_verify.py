"""The verify controller end to end: canary on the RAM disk, found in the spool or in the real
OpenSearch node (behind the front that records requests and refuses one on demand)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.shipping.opensearch.setup import index_template, template_name
from tests.doubles.vector_standin import VectorStandIn
from tests.opensearch.front import NodeFront
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("ram", "spool", "run")}
    for path in paths.values():
        path.mkdir()
    (paths["ram"] / "canary").mkdir()
    return paths


def run_verify(
    tmp_path: Path, dirs: dict[str, Path], endpoint: str = ""
) -> subprocess.Popen[bytes]:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ramdisk": {"mount_point": str(dirs["ram"])},
                "shipping": {
                    "spool": {"directory": str(dirs["spool"])},
                    "opensearch": {"endpoint": endpoint},
                },
                "verify": {"interval_seconds": 5, "timeout_seconds": 3},
            }
        )
    )
    env = dict(os.environ, IDS2_RUNTIME_DIR=str(dirs["run"]))
    return subprocess.Popen(
        [sys.executable, "-m", "ids2", "run", "verify", "--config", str(config)], env=env
    )


def wait_state(dirs: dict[str, Path], key: str, at_least: int, within: float) -> dict[str, Any]:
    return wait_until(dirs, lambda state: state[key] >= at_least, f"{key} >= {at_least}", within)


def wait_until(
    dirs: dict[str, Path], condition: Callable[[dict[str, Any]], bool], what: str, within: float
) -> dict[str, Any]:
    """The verify state file's content once `condition` holds of it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state: dict[str, Any] = json.loads((dirs["run"] / "verify.json").read_text())
            if condition(state):
                return state
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"no {what} in the verify state within {within} s")


def outcome(expected: str, healthy: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda state: state["last_outcome"] == expected and state["healthy"] is healthy


@pytest.fixture
def stopper() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0


def test_canary_through_the_local_spool(
    tmp_path: Path, dirs: dict[str, Path], stopper: list[subprocess.Popen[bytes]]
) -> None:
    with VectorStandIn(dirs["ram"], "ids2-logs", spool=dirs["spool"]):
        stopper.append(run_verify(tmp_path, dirs))
        state = wait_state(dirs, "canaries_found_total", 1, within=10)
    assert state["healthy"] is True and state["sink"] == "spool"
    assert 0 <= state["last_latency_seconds"] < 3
    line = json.loads((dirs["ram"] / "canary" / "ids2-canary.json").read_text().splitlines()[0])
    assert line["event_type"] == "ids2_canary" and line["timestamp"].endswith("+0000")


@pytest.fixture
def front(opensearch: NodeTarget, node_front: Callable[..., NodeFront]) -> NodeFront:
    """The node with ids2's template (without it ids2.canary_id is text, which the canary's
    term query never matches), behind the front."""
    opensearch.client().transport.perform_request(
        "PUT", f"/_index_template/{template_name('ids2-logs')}", body=index_template("ids2-logs")
    )
    return node_front()


def test_canary_through_opensearch(
    tmp_path: Path, dirs: dict[str, Path], stopper: list[subprocess.Popen[bytes]], front: NodeFront
) -> None:
    with VectorStandIn(dirs["ram"], "ids2-logs", opensearch_url=front.url):
        stopper.append(run_verify(tmp_path, dirs, endpoint=front.url))
        state = wait_state(dirs, "canaries_found_total", 1, within=20)
    assert state["sink"] == "opensearch" and state["healthy"] is True
    searches = [r for r in front.requests if r.path.startswith("/ids2-logs-*/_search")]
    assert searches, "verify must search the daily indices"


def test_a_lost_canary_is_counted_and_unhealthy(
    tmp_path: Path, dirs: dict[str, Path], stopper: list[subprocess.Popen[bytes]]
) -> None:
    stopper.append(run_verify(tmp_path, dirs))
    state = wait_state(dirs, "canaries_failed_total", 1, within=10)
    assert state["healthy"] is False and state["canaries_found_total"] == 0


def test_health_follows_the_latest_canary_through_the_spool(
    tmp_path: Path, dirs: dict[str, Path], stopper: list[subprocess.Popen[bytes]]
) -> None:
    with VectorStandIn(dirs["ram"], "ids2-logs", spool=dirs["spool"]):
        stopper.append(run_verify(tmp_path, dirs))
        wait_until(dirs, outcome("found", healthy=True), "first canary found", within=10)
    late = wait_until(dirs, outcome("late", healthy=False), "late canary", within=15)
    assert late["summary"].startswith("the last canary is not in the spool after 3 s")
    lost = wait_until(dirs, outcome("lost", healthy=False), "lost canary", within=10)
    assert lost["summary"].startswith("the last canary never reached the spool")
    with VectorStandIn(dirs["ram"], "ids2-logs", spool=dirs["spool"]):
        back = wait_until(dirs, outcome("found", healthy=True), "canary found again", within=20)
    assert back["canaries_found_total"] >= 2


def test_health_follows_the_latest_canary_through_opensearch(
    tmp_path: Path, dirs: dict[str, Path], stopper: list[subprocess.Popen[bytes]], front: NodeFront
) -> None:
    with VectorStandIn(dirs["ram"], "ids2-logs", opensearch_url=front.url):
        stopper.append(run_verify(tmp_path, dirs, endpoint=front.url))
        wait_until(dirs, outcome("found", healthy=True), "first canary found", within=20)
        front.fail_next(429, path="/_bulk")  # the next canary is refused, never indexed
        late = wait_until(dirs, outcome("late", healthy=False), "late canary", within=15)
        assert late["summary"].startswith("the last canary is not in the opensearch")
        back = wait_until(dirs, outcome("found", healthy=True), "found again", within=20)
    assert back["canaries_found_total"] >= 2 and back["canaries_failed_total"] >= 1
