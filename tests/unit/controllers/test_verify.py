"""The verify controller's health follows its most recent canary: found, late, or lost.

The sink is the real spool sink on files in a temporary directory; the test plays Vector
by copying the canary file into today's spool file, and drives the controller's clock.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.controllers.verify import VerifyController
from ids2.shipping.canary import canary_path
from ids2.shipping.canary_sinks import SpoolSink
from ids2.stack.up_state import clear_stack_outcome, publish_stack_outcome
from ids2.state import StateStore

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
PREFIX = "ids2-logs"


class Sensor:
    """A verify controller on a temporary RAM disk and spool, with a clock the test moves."""

    def __init__(self, root: Path) -> None:
        self.ramdisk, self.spool, self.run = root / "ram", root / "spool", root / "run"
        for directory in (self.ramdisk, self.spool):
            directory.mkdir()
        document = {
            "ramdisk": {"mount_point": str(self.ramdisk)},
            "shipping": {"spool": {"directory": str(self.spool)}},
            "verify": {"interval_seconds": 60, "timeout_seconds": 30},
        }
        config = validate_document(document, "test", MACHINE)
        self.now = 1_000_000.0
        sink = SpoolSink(self.spool, PREFIX)
        self.controller = VerifyController(config, StateStore(self.run), sink, lambda: self.now)

    def step_at(self, now: float) -> dict[str, Any]:
        self.now = now
        self.controller.step()
        state = StateStore(self.run).read("verify")
        assert state is not None
        return state.data

    def forward(self) -> None:
        """Play Vector: everything written to the canary file reaches today's spool file."""
        day = time.strftime("%Y.%m.%d", time.gmtime())
        (self.spool / f"{PREFIX}-{day}.ndjson").write_bytes(canary_path(self.ramdisk).read_bytes())


def test_health_follows_the_most_recent_canary(tmp_path: Path) -> None:
    sensor = Sensor(tmp_path)
    start = sensor.now
    assert sensor.step_at(start)["healthy"] is True, "no verdict before the first canary"
    sensor.forward()
    found = sensor.step_at(start + 1)
    assert (found["healthy"], found["last_outcome"], found["last_latency_seconds"]) == (
        True,
        "found",
        1.0,
    )

    sensor.step_at(start + 60)  # the second canary goes out and is never forwarded
    waiting = sensor.step_at(start + 80)
    assert waiting["healthy"] is True, "within its timeout, health follows the canary before"
    late = sensor.step_at(start + 91)
    assert (late["healthy"], late["last_outcome"]) == (False, "late")
    assert late["summary"].startswith("the last canary is not in the spool after 30 s")

    sensor.forward()  # it arrives after its timeout: still late, with its latency
    arrived = sensor.step_at(start + 95)
    assert (arrived["healthy"], arrived["last_latency_seconds"]) == (False, 35.0)
    assert arrived["summary"].startswith("the last canary took 35.0 s to reach the spool")

    sensor.step_at(start + 120)
    sensor.forward()
    back = sensor.step_at(start + 121)
    assert (back["healthy"], back["last_outcome"], back["canaries_found_total"]) == (
        True,
        "found",
        2,
    )

    sensor.step_at(start + 180)  # never forwarded: late, then lost when the next goes out
    assert sensor.step_at(start + 211)["last_outcome"] == "late"
    lost = sensor.step_at(start + 240)
    assert (lost["healthy"], lost["last_outcome"], lost["pending"]) == (False, "lost", 1)
    assert lost["summary"].startswith("the last canary never reached the spool")
    assert (lost["canaries_sent_total"], lost["canaries_failed_total"]) == (5, 2)


def test_a_lost_canary_names_why_the_stack_is_not_running(tmp_path: Path) -> None:
    sensor = Sensor(tmp_path)
    start = sensor.now
    sensor.step_at(start)
    late = sensor.step_at(start + 31)["summary"]
    assert late.startswith("the last canary is not in the spool after 30 s")
    store = StateStore(sensor.run)
    publish_stack_outcome(store, "image docker.io/timberio/vector:0.50.0-debian is not here", "")
    late = sensor.step_at(start + 32)
    assert late["healthy"] is False
    assert late["summary"] == (
        "no canary reaches the spool: the stack is not running: image "
        "docker.io/timberio/vector:0.50.0-debian is not here (0 found, 1 late or lost)"
    )
    lost = sensor.step_at(start + 61)
    assert lost["last_outcome"] == "lost"
    assert lost["summary"].startswith("no canary reaches the spool: the stack is not running")
    clear_stack_outcome(store)
    assert sensor.step_at(start + 62)["summary"].startswith("the last canary never reached")
