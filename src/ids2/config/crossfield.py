"""Checks that relate several keys, or keys and the machine; run after the per-key checks."""

from __future__ import annotations

from collections.abc import Callable

from ids2 import TYPE_CHECKING
from ids2.config.machine import Machine

if TYPE_CHECKING:
    from typing import Any


def _thresholds(values: dict[str, Any]) -> list[str]:
    resources = values["resources"]
    levels = [resources[f"level{n}"]["threshold_percent"] for n in (1, 2, 3)]
    problems = []
    if not levels[0] < levels[1] < levels[2]:
        problems.append(
            "at 'resources.level1/2/3.threshold_percent': expected thresholds rising from "
            f"level 1 to level 3, got {levels[0]}, {levels[1]}, {levels[2]}"
        )
    if levels[2] > resources["hard_limit_percent"]:
        problems.append(
            "at 'resources.level3.threshold_percent': expected at most "
            f"resources.hard_limit_percent ({resources['hard_limit_percent']}), got {levels[2]}"
        )
    if resources["hysteresis_percent"] >= levels[0]:
        problems.append(
            "at 'resources.hysteresis_percent': expected less than the level 1 threshold "
            f"({levels[0]}), got {resources['hysteresis_percent']}"
        )
    return problems


def _cores(values: dict[str, Any], machine: Machine) -> list[str]:
    sensor = values["sensor"]
    problems = []
    if sensor["workers"] > machine.cpu_count:
        problems.append(
            f"at 'sensor.workers': expected at most the {machine.cpu_count} CPU cores of this "
            f"machine, got {sensor['workers']}"
        )
    for key in ("management_cores", "worker_cores"):
        for index, core in enumerate(sensor[key]):
            if core >= machine.cpu_count:
                problems.append(
                    f"at 'sensor.{key}[{index}]': expected a core from 0 to "
                    f"{machine.cpu_count - 1}, got {core}"
                )
    return problems


def _memory(values: dict[str, Any], machine: Machine) -> list[str]:
    budget = values["sensor"]["memory_budget_mb"]
    ramdisk = values["ramdisk"]["size_mb"]
    limit_percent = values["resources"]["hard_limit_percent"]
    allowed = machine.memory_mb * limit_percent // 100
    if budget + ramdisk <= allowed:
        return []
    return [
        f"at 'sensor.memory_budget_mb': expected the memcaps plus the RAM disk "
        f"(ramdisk.size_mb {ramdisk}) to fit in {limit_percent} % of this machine's "
        f"{machine.memory_mb} MiB ({allowed} MiB), got {budget} + {ramdisk} MiB"
    ]


def _shipping(values: dict[str, Any]) -> list[str]:
    opensearch = values["shipping"]["opensearch"]
    auth, endpoint = opensearch["auth"], opensearch["endpoint"]
    if auth != "none" and endpoint == "":
        return [
            f"at 'shipping.opensearch.auth': expected none while shipping.opensearch.endpoint "
            f"is empty (the local spool needs no credentials), got {auth!r}"
        ]
    # Dashboards gets the same credentials as OpenSearch, so the same rule holds for it.
    return [
        f"at 'shipping.opensearch.{key}': expected an https URL with auth {auth!r} "
        f"(credentials are never sent in clear text), got {opensearch[key]!r}"
        for key in ("endpoint", "dashboards_url")
        if auth != "none" and opensearch[key].startswith("http://")
    ]


def _ports_and_backoff(values: dict[str, Any]) -> list[str]:
    problems = []
    if values["metrics"]["port"] == values["stack"]["grafana"]["port"]:
        problems.append(
            "at 'metrics.port': expected a port other than stack.grafana.port, got "
            f"{values['metrics']['port']}"
        )
    stack = values["stack"]
    taken = {
        "metrics.port": values["metrics"]["port"],
        "stack.grafana.port": stack["grafana"]["port"],
        "stack.alertmanager.port": stack["alertmanager"]["port"],
    }
    problems.extend(
        f"at 'stack.evebox.port': expected a port other than {name}, got {port}"
        for name, port in taken.items()
        if port == stack["evebox"]["port"]
    )
    connectivity = values["connectivity"]
    if connectivity["backoff_initial_seconds"] > connectivity["backoff_max_seconds"]:
        problems.append(
            "at 'connectivity.backoff_initial_seconds': expected at most "
            f"connectivity.backoff_max_seconds ({connectivity['backoff_max_seconds']:g}), got "
            f"{connectivity['backoff_initial_seconds']:g}"
        )
    return problems


def _stack_dependencies(values: dict[str, Any]) -> list[str]:
    """A service may not run without the one it depends on in docker-compose.yml."""
    stack = values["stack"]
    needs = {"grafana": ("prometheus", "its data")}
    return [
        f"at 'stack.{needed}.enabled': expected true while stack.{service}.enabled is true "
        f"({needed} is {why}), got false"
        for service, (needed, why) in needs.items()
        if stack[service]["enabled"] and not stack[needed]["enabled"]
    ]


def _notify(values: dict[str, Any]) -> list[str]:
    """Routes name receivers that exist; receivers need the Alertmanager that sends."""
    notify = values["notify"]
    problems = [
        f"at 'notify.routes[{index}].receiver': expected one of notify.receivers "
        f"({', '.join(notify['receivers']) or 'none is configured'}), got {route['receiver']!r}"
        for index, route in enumerate(notify["routes"])
        if route["receiver"] not in notify["receivers"]
    ]
    if notify["receivers"] and not values["stack"]["alertmanager"]["enabled"]:
        problems.append(
            "at 'stack.alertmanager.enabled': expected true while notify.receivers is set "
            "(Alertmanager sends the notifications), got false"
        )
    return problems


def _thresholds_per_sid(values: dict[str, Any]) -> list[str]:
    """Suricata takes one threshold per rule from threshold.config."""
    first: dict[int, int] = {}
    problems = []
    for index, threshold in enumerate(values["sensor"]["rules"]["threshold"]):
        sid = threshold["sid"]
        if sid in first:
            problems.append(
                f"at 'sensor.rules.threshold[{index}].sid': expected one threshold per SID "
                f"(sensor.rules.threshold[{first[sid]}] is for {sid} already), got {sid}"
            )
        first.setdefault(sid, index)
    return problems


_RELATIONS: list[tuple[tuple[str, ...], Callable[[dict[str, Any], Machine], list[str]]]] = [
    (("resources",), lambda values, _machine: _thresholds(values)),
    (("sensor.workers", "sensor.management_cores", "sensor.worker_cores"), _cores),
    (("sensor.memory_budget_mb", "ramdisk.size_mb", "resources.hard_limit_percent"), _memory),
    (("shipping.opensearch",), lambda values, _machine: _shipping(values)),
    (("stack",), lambda values, _machine: _stack_dependencies(values)),
    (("sensor.rules.threshold",), lambda values, _machine: _thresholds_per_sid(values)),
    (("notify", "stack.alertmanager"), lambda values, _machine: _notify(values)),
    (
        (
            "metrics.port",
            "stack.grafana.port",
            "stack.alertmanager.port",
            "stack.evebox.port",
            "connectivity",
        ),
        lambda values, _machine: _ports_and_backoff(values),
    ),
]


def _touches(path: str, invalid_paths: set[str]) -> bool:
    return any(
        bad == path or bad.startswith(path + ".") or path.startswith(bad + ".") or bad == ""
        for bad in invalid_paths
    )


def check_relations(values: dict[str, Any], machine: Machine, invalid_paths: set[str]) -> list[str]:
    """Every cross-key problem among keys whose own values passed their checks.

    A relation that reads a rejected key is skipped: its message would be noise on top of
    the key's own error, which is already reported.
    """
    problems: list[str] = []
    for paths, relation in _RELATIONS:
        if not any(_touches(path, invalid_paths) for path in paths):
            problems.extend(relation(values, machine))
    return problems


def warnings_for(values: dict[str, Any], machine: Machine) -> list[str]:
    """Things that are allowed but probably wrong on this machine: a missing NIC."""
    warnings = []
    interface = values["sensor"]["interface"]
    if machine.interfaces and interface not in machine.interfaces:
        present = ", ".join(sorted(machine.interfaces))
        warnings.append(
            f"at 'sensor.interface': {interface!r} does not exist on this machine now "
            f"(present: {present}); capture starts once it appears"
        )
    return warnings
