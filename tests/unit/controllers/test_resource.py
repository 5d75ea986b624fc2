"""The resource controller's loop logic, with scripted load and recorded actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.controllers.resource import ResourceController
from ids2.stack.report import REPORT_STATE
from ids2.state import StateStore
from ids2.system.throttle_actions import LIMITS_STATE
from tests.support.recording_actions import RecordingActions

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
RUNNING = {"services": {"vector": {"status": "running", "health": "healthy", "ok": True}}}
"""A stack report with a running container, as ids2-stack-report writes it."""


def controller(
    tmp_path: Path,
    loads: list[float],
    actions: RecordingActions,
    monkeypatch: pytest.MonkeyPatch,
    smoothing: int = 1,
    stack_report: dict[str, object] | None = RUNNING,
) -> ResourceController:
    config = validate_document({"resources": {"smoothing_samples": smoothing}}, "t", MACHINE)
    if stack_report is not None:
        StateStore(tmp_path).write(REPORT_STATE, stack_report)
    samples: Iterator[float] = iter(loads)

    def cpu_percent(percpu: bool = False) -> list[float]:
        value = next(samples, 0.0)
        return [value, value]

    monkeypatch.setattr("psutil.cpu_percent", cpu_percent)
    monkeypatch.setattr("psutil.virtual_memory", lambda: SimpleNamespace(percent=20.0))
    instance = ResourceController(config, StateStore(tmp_path), actions)
    instance.setup()  # consumes the priming sample
    return instance


def test_actions_run_only_when_the_level_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions = RecordingActions()
    resource = controller(tmp_path, [0, 30, 55, 56, 70, 70, 40], actions, monkeypatch)
    levels = []
    for _ in range(6):
        resource.step()
        levels.append(resource.level)
    assert levels == [0, 1, 1, 3, 3, 0]
    assert [s.level for s in actions.applied] == [1, 3, 0]
    state = StateStore(tmp_path).read("resource")
    assert state is not None
    assert state.data["level"] == 0 and state.data["shipping_pace"] == "normal"
    assert state.data["summary"].startswith("level 0: cpu 40 %")


def test_smoothing_ignores_a_single_spike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resource = controller(tmp_path, [0, 20, 20, 100], RecordingActions(), monkeypatch, 3)
    for _ in range(3):
        resource.step()
    assert resource.level == 0  # (20 + 100 + 20) / 3 = 46.7 % < 50 %


def test_failed_actions_are_counted_and_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    actions = RecordingActions(results={"suricata": "failed: no D-Bus"})
    resource = controller(tmp_path, [0, 60, 10, 60, 10], actions, monkeypatch)
    for _ in range(4):
        resource.step()
    assert resource.action_failures_total == 4
    warnings = [line for line in capsys.readouterr().err.splitlines() if " WARNING " in line]
    assert [line.split(" WARNING ")[1] for line in warnings] == [
        "ids2.controllers.resource: throttle action on suricata failed: no D-Bus"
    ]
    state = StateStore(tmp_path).read("resource")
    assert state is not None and state.data["action_failures_total"] == 4


def test_over_the_hard_limit_is_unhealthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resource = controller(tmp_path, [0, 95], RecordingActions(), monkeypatch)
    resource.step()
    state = StateStore(tmp_path).read("resource")
    assert state is not None
    assert state.data["healthy"] is False and state.data["over_hard_limit"] is True


def test_the_helpers_outcome_is_folded_in_once_it_ran_for_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper's state file, older than the request, is still pending; newer and for the
    level, its results join the controller's and its failures count once."""
    store = StateStore(tmp_path)
    store.write(LIMITS_STATE, {"level": 1, "results": {"vector": "failed: earlier run"}})
    actions = RecordingActions(results={"suricata": "ok: set", "stack": "ok: started"})
    resource = controller(tmp_path, [0, 55, 55, 55, 55], actions, monkeypatch)
    resource.step()
    resource.step()  # level 1 asked for: the file from before the request is not its answer
    assert resource.action_results == {"suricata": "ok: set", "stack": "ok: started"}
    store.write(
        LIMITS_STATE, {"level": 1, "results": {"vector": "ok: cpus=0.5", "grafana": "failed: gone"}}
    )
    resource.step()
    resource.step()
    assert resource.action_results == {
        "suricata": "ok: set",
        "stack": "ok: started",
        "vector": "ok: cpus=0.5",
        "grafana": "failed: gone",
    }
    assert resource.action_failures_total == 1
    assert [s.level for s in actions.applied] == [1]


def test_a_helper_run_for_an_older_level_that_ends_last_is_overruled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Level 1, then 3 at once: should level 1's run finish after level 3's request, the
    containers are at level 1, so the controller asks for level 3 again."""
    store = StateStore(tmp_path)
    actions = RecordingActions()
    resource = controller(tmp_path, [0, 55, 90, 90, 90], actions, monkeypatch)
    resource.step()
    resource.step()
    store.write(LIMITS_STATE, {"level": 1, "results": {"vector": "ok: cpus=0.5"}})
    resource.step()
    assert [s.level for s in actions.applied] == [1, 3, 3]
    assert "vector" not in resource.action_results


@pytest.mark.parametrize(
    ("report", "why"),
    [
        (None, "no stack report yet"),
        ({"services": {}}, "no container of the stack runs"),
        (
            {"services": {"vector": {"status": "exited", "health": "none", "ok": False}}},
            "no container of the stack runs",
        ),
        ({"error": "no Docker engine answers"}, "the stack report says: no Docker engine answers"),
    ],
)
def test_container_limits_wait_for_a_running_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: dict[str, object] | None, why: str
) -> None:
    """With no container to limit, ids2-stack-limits@ could only fail and stay failed: the
    helper is not asked, the state says why, and the level reaches the containers with the
    first report that shows one running."""
    store = StateStore(tmp_path)
    actions = RecordingActions(results={"suricata": "ok: set", "stack": "ok: started"})
    resource = controller(tmp_path, [0, 55, 55, 55, 55], actions, monkeypatch, stack_report=report)
    resource.step()
    resource.step()
    assert actions.with_containers == [False]
    assert resource.action_results == {"suricata": "ok: set", "stack": f"waiting: {why}"}
    state = store.read("resource")
    assert state is not None
    assert state.data["summary"].endswith(f"; container limits wait for the stack: {why}")
    assert resource.action_failures_total == 0
    store.write(REPORT_STATE, RUNNING)
    resource.step()
    resource.step()
    assert [s.level for s in actions.applied] == [1, 1]
    assert actions.with_containers == [False, True]
    assert resource.action_results == {"suricata": "ok: set", "stack": "ok: started"}
    state = store.read("resource")
    assert state is not None and "wait" not in state.data["summary"]
