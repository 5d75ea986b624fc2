"""Throttle level choice with hysteresis, per-level settings, and the action layer."""

from __future__ import annotations

from itertools import pairwise

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.errors import Ids2Error
from ids2.system.throttle import LevelSettings, choose_level, settings_for
from ids2.system.throttle_actions import (
    SystemActions,
    apply_container_limits,
    parse_level,
    suricata_properties,
)

LIMITS = [50, 58, 65]
RESOURCES = validate_document(None, "t", Machine(4, 8192, frozenset({"eth0"}))).values["resources"]


@pytest.mark.parametrize(
    ("load", "current", "expected"),
    [
        (10, 0, 0),
        (50, 0, 1),
        (64.9, 0, 2),
        (99, 0, 3),  # rising is immediate
        (62, 3, 3),  # within the hysteresis of level 3 (65 - 5): stay
        (59.9, 3, 2),  # below 60: leave level 3; 59.9 >= 58 - 5, so level 2 holds
        (53, 2, 2),
        (52.9, 2, 1),
        (52.99, 1, 1),
        (44.9, 1, 0),
        (45.1, 1, 1),
        (10, 3, 0),
    ],
)
def test_choose_level(load: float, current: int, expected: int) -> None:
    assert choose_level(load, current, LIMITS, 5) == expected


def test_no_flapping_around_a_threshold() -> None:
    level, seen = 0, []
    for load in [49, 51, 49, 51, 48, 50.5, 46, 44]:
        level = choose_level(load, level, LIMITS, 5)
        seen.append(level)
    assert seen == [0, 1, 1, 1, 1, 1, 1, 0]


def test_level_zero_lifts_every_limit() -> None:
    settings = settings_for(RESOURCES, 0)
    assert suricata_properties(settings) == ["CPUQuota=", "MemoryHigh=infinity"]
    assert settings.container_cpu_factor == 1.0 and settings.shipping_pace == "normal"


def test_default_levels_tighten_step_by_step() -> None:
    levels = [settings_for(RESOURCES, level) for level in (1, 2, 3)]
    assert [suricata_properties(s) for s in levels] == [
        ["CPUQuota=", "MemoryHigh=infinity"],
        ["CPUQuota=150%", "MemoryHigh=infinity"],
        ["CPUQuota=100%", "MemoryHigh=384M"],
    ]
    assert [s.cpu_factor("prometheus") for s in levels] == [1.0, 0.75, 0.5]
    assert [s.shipping_pace for s in levels] == ["reduced", "reduced", "minimal"]
    assert [s.cpu_factor("vector") for s in levels] == [0.5, 0.5, 0.25]


def limits_at(level: int) -> dict[str, object]:
    """What the actions set at `level` with the default levels: Suricata's properties and
    each container's CPU limit (the helper's part)."""
    calls: dict[str, object] = {}
    apply_container_limits(
        {"vector": 1.0, "prometheus": 0.5, "grafana": 0.5},
        settings_for(RESOURCES, level),
        lambda service, cpus: calls.__setitem__(service, cpus),
    )
    return {"suricata": suricata_properties(settings_for(RESOURCES, level)), **calls}


def test_level_one_slows_shipping_and_leaves_capture_alone() -> None:
    """Level 1 halves Vector's CPU: shipping lags and the RAM disk holds the EVE, while
    Suricata, Prometheus and Grafana keep what level 0 gives them."""
    assert limits_at(0) == {
        "suricata": ["CPUQuota=", "MemoryHigh=infinity"],
        "vector": 1.0,
        "prometheus": 0.5,
        "grafana": 0.5,
    }
    assert limits_at(1) == {**limits_at(0), "vector": 0.5}


def test_no_default_level_acts_as_the_one_below_it() -> None:
    effects = [limits_at(level) for level in (0, 1, 2, 3)]
    assert all(lower != higher for lower, higher in pairwise(effects))


def test_the_shipping_pace_alone_sets_vectors_limit() -> None:
    """A level's container factor does not touch Vector; its pace does."""
    level = settings_for(RESOURCES, 1)
    custom = LevelSettings(
        level.level,
        level.suricata_cpu_quota_percent,
        level.suricata_memory_high_mb,
        container_cpu_factor=0.2,
        shipping_pace="minimal",
    )
    assert (custom.cpu_factor("vector"), custom.cpu_factor("grafana")) == (0.25, 0.2)


def test_container_limits_scale_and_failures_do_not_stop_the_rest() -> None:
    calls: list[tuple[str, float]] = []

    def set_cpu_limit(service: str, cpus: float) -> None:
        if service == "grafana":
            raise OSError("engine went away")
        calls.append((service, cpus))

    results = apply_container_limits(
        {"vector": 1.0, "grafana": 0.5, "prometheus": 0.5},
        settings_for(RESOURCES, 3),
        set_cpu_limit,
    )
    assert calls == [("vector", 0.25), ("prometheus", 0.25)]
    assert results == {
        "vector": "ok: cpus=0.25",
        "grafana": "failed: engine went away",
        "prometheus": "ok: cpus=0.25",
    }


def test_without_systemd_both_actions_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """The controller's own actions touch no engine: Suricata through set-property, the
    containers through the helper unit, both through systemd."""
    monkeypatch.setattr("ids2.system.throttle_actions.systemd_is_running", lambda: False)
    results = SystemActions().apply(settings_for(RESOURCES, 2))
    assert results == {
        "suricata": "failed: systemd is not PID 1 here; Suricata's limits cannot be set",
        "stack": "failed: systemd is not PID 1 here; container limits cannot be set",
    }


def test_the_helper_asks_systemd_for_the_levels_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr("ids2.system.throttle_actions.systemd_is_running", lambda: True)
    monkeypatch.setattr(
        "ids2.system.throttle_actions.systemctl", lambda *args: calls.append(args) or ""
    )
    results = SystemActions().apply(settings_for(RESOURCES, 2))
    assert results["stack"] == "ok: started ids2-stack-limits@2.service"
    assert calls[-1] == ("start", "--no-block", "ids2-stack-limits@2.service")
    calls.clear()
    assert "stack" not in SystemActions().apply(settings_for(RESOURCES, 2), containers=False)
    assert [call[0] for call in calls] == ["set-property"]  # no container to limit: no helper


@pytest.mark.parametrize("text", ["0", "1", "2", "3"])
def test_a_level_is_one_digit_0_to_3(text: str) -> None:
    assert parse_level(text) == int(text)


@pytest.mark.parametrize("text", ["4", "-1", "01", " 1", "+1", "1\n", "\u0663", "", "level1"])
def test_anything_else_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(Ids2Error) as raised:
        parse_level(text)
    assert str(raised.value) == f"throttle level must be one of 0, 1, 2, 3, got {text!r}"
