"""Why the stack is not running: what `ids2 up` publishes, what status and verify read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ids2.stack.images import not_pulled
from ids2.stack.up_state import clear_stack_outcome, not_running_reason, publish_stack_outcome
from ids2.state import StateStore
from ids2.status.facts import render_facts

VECTOR = "docker.io/timberio/vector:0.50.0-debian"
PODMAN_SAYS = (
    "500 Server Error: initializing source docker://timberio/vector:0.50.0-debian:\n"
    "pinging container registry registry-1.docker.io: dial tcp: no such host"
)


def test_the_reason_names_the_image_and_the_engines_words_on_one_line() -> None:
    reason = not_pulled(VECTOR, PODMAN_SAYS, ["docker.io/library/redis:7.2.5-alpine"])
    assert reason == (
        f"image {VECTOR} is not here and cannot be pulled: 500 Server Error: initializing "
        "source docker://timberio/vector:0.50.0-debian: pinging container registry "
        "registry-1.docker.io: dial tcp: no such host "
        "(also missing: docker.io/library/redis:7.2.5-alpine)"
    )
    assert "\n" not in not_pulled(VECTOR, "x" * 1000, [])
    assert len(not_pulled(VECTOR, "x" * 1000, [])) < 400


def test_the_reason_holds_while_no_container_exists(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert not_running_reason(store) is None, "ids2 up said nothing"
    publish_stack_outcome(store, "no Docker engine answers", "not running: ...")
    store.write("metrics", {"stack": {"services": {}}})
    assert not_running_reason(store) == "no Docker engine answers"
    store.write("metrics", {"stack": {"error": "no Docker engine answers on /x"}})
    assert not_running_reason(store) == "no Docker engine answers"
    running = {"status": "running", "health": "healthy", "ok": True, "restart_count": 0}
    store.write("metrics", {"stack": {"services": {"vector": running}}})
    assert not_running_reason(store) is None, "a container exists since: the report is stale"


def test_a_stack_that_started_or_an_up_that_ended_gives_no_reason(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    publish_stack_outcome(store, None, "vector healthy")
    assert not_running_reason(store) is None
    publish_stack_outcome(store, "no Docker engine answers", "not running: ...")
    clear_stack_outcome(store)
    assert not_running_reason(store) is None
    clear_stack_outcome(store)  # twice is fine


def facts(**overrides: Any) -> dict[str, Any]:
    """The facts render_facts reads, all empty but `overrides`."""
    empty: dict[str, Any] = {
        "units": {},
        "capture": {},
        "last_alert": None,
        "throttle_level": 0,
        "shipping_pace": 1.0,
        "canary_latency_seconds": None,
        "canary_sink": "spool",
        "connectivity": {},
        "pipeline": {"error": "-"},
        "rules_loaded": 0,
        "rules_age_hours": None,
        "last_deploy": None,
        "stack": None,
        "ramdisk": None,
        "ramdisk_lost_events": 0,
        "ramdisk_lost_bytes": 0,
        "state_disk": None,
    }
    return {**empty, **overrides}


def stack_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("stack "))


def test_status_shows_why_the_stack_is_not_running() -> None:
    reason = not_pulled(VECTOR, "no such host", [])
    text = render_facts(facts(stack={"services": {}}, stack_not_running=reason))
    assert stack_line(text) == f"stack         not running: {reason}"
    without = render_facts(facts(stack={"services": {}}, stack_not_running=None))
    assert stack_line(without) == "stack         no containers (run ids2 deploy)"
