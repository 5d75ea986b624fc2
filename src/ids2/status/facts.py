"""The facts `ids2 status` shows besides the controllers: capture, shipping, rules, disks.

Read from the controllers' state files, the latest Suricata stats event and the file
systems, so status works without the exporter and without any service answering.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from ids2.common.sizes import MIB
from ids2.config.load import Config
from ids2.stack.cgroup import container_usage
from ids2.stack.up_state import not_running_reason
from ids2.state import StateStore
from ids2.status.figures import pipeline_figures
from ids2.suricata.collector import (
    interval_drop_ratio,
    interval_packet_rate,
    latest_events,
    latest_stats,
)
from ids2.system.unit_names import mount_unit_name
from ids2.system.units import systemd_is_running


def units(config: Config) -> tuple[str, ...]:
    """The units status reports on, with the RAM disk's mount unit for the configured path."""
    ramdisk = mount_unit_name(config["ramdisk"]["mount_point"])
    return ("suricata.service", ramdisk, "ids2-deploy.service", "ids2-rules-update.timer")


def _data(store: StateStore, name: str) -> dict[str, Any]:
    state = store.read(name)
    return {} if state is None else state.data


def _units(config: Config) -> dict[str, str]:
    if not systemd_is_running():
        return {}
    import subprocess

    names = units(config)
    states = subprocess.run(
        ["systemctl", "is-active", *names], capture_output=True, text=True, check=False
    ).stdout.split()
    return dict(zip(names, states, strict=False))


def _stack(store: StateStore) -> dict[str, Any] | None:
    """The stack as the metrics controller last published it, with each running container's
    CPU and memory figures read now from the cgroup the report names."""
    stack: dict[str, Any] | None = _data(store, "metrics").get("stack")
    for service in ((stack or {}).get("services") or {}).values():
        service.update(container_usage(service.get("cgroup")))
    return stack


def _capture(config: Config) -> dict[str, Any]:
    stats = latest_stats(Path(config["ramdisk"]["mount_point"]))
    if not stats:
        return {"capture": "no Suricata stats event yet"}
    newest = stats[-1]
    capture = newest.get("capture", {})
    facts: dict[str, Any] = {
        "packets": capture.get("kernel_packets"),
        "kernel_drops": capture.get("kernel_drops"),
        "alerts": newest.get("detect", {}).get("alert"),
    }
    if not facts["packets"]:
        facts["warning"] = f"no packets seen yet on {config['sensor']['interface']}"
    if len(stats) == 2:
        facts["packets_per_second"] = interval_packet_rate(stats[0], newest)
        facts["drop_ratio_last_interval"] = interval_drop_ratio(stats[0], newest)
    return facts


def _last_alert(config: Config) -> str | None:
    alerts = latest_events(Path(config["ramdisk"]["mount_point"]), "alert", 1)
    if not alerts:
        return None
    event = alerts[0]
    alert = event.get("alert") or {}
    signature, sid = alert.get("signature", "?"), alert.get("signature_id")
    return f"{event.get('timestamp')} {signature} (sid {sid})"


def _disk(path: str) -> str | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return f"{usage.used * 100 // max(usage.total, 1)} % of {usage.total // 2**20} MiB"


def collect_facts(config: Config, store: StateStore) -> dict[str, Any]:
    """Everything the status screen shows beyond the controllers, as plain data."""
    resource, verify = _data(store, "resource"), _data(store, "verify")
    connectivity, rules = _data(store, "connectivity"), _data(store, "rules")
    reloaded = rules.get("reloaded_at") or rules.get("updated_at")
    return {
        "units": _units(config),
        "throttle_level": resource.get("level"),
        "shipping_pace": resource.get("shipping_pace"),
        "capture": _capture(config),
        "last_alert": _last_alert(config),
        "pipeline": pipeline_figures(),
        "canary_latency_seconds": verify.get("last_latency_seconds"),
        "canary_sink": verify.get("sink"),
        "connectivity": {
            name: check.get("ok") for name, check in (connectivity.get("checks") or {}).items()
        },
        "rules_loaded": rules.get("rules_loaded"),
        "rules_age_hours": round((time.time() - reloaded) / 3600, 1) if reloaded else None,
        "ramdisk": _disk(config["ramdisk"]["mount_point"]),
        "ramdisk_lost_bytes": _data(store, "ramdisk").get("lost_bytes_total"),
        "ramdisk_lost_events": _data(store, "ramdisk").get("lost_events_total"),
        "state_disk": _disk(config["paths"]["state_dir"]),
        "last_deploy": _data(store, "deploy").get("summary"),
        "stack": _stack(store),
        "stack_not_running": not_running_reason(store),
        "first_boot": _data(store, "firstboot").get("summary"),
    }


def _stack_line(stack: dict[str, Any] | None) -> str:
    if stack is None:
        return "not looked at yet (the metrics controller reports it)"
    if "error" in stack:
        return str(stack["error"])
    services = stack.get("services") or {}
    if not services:
        return "no containers (run ids2 deploy)"
    return ", ".join(
        f"{name} {s['status']}"
        + (f"/{s['health']}" if s["health"] != "none" else "")
        + _memory_text(s)
        + (f" ({s['restart_count']} restarts)" if s["restart_count"] else "")
        for name, s in services.items()
    )


def _memory_text(service: dict[str, Any]) -> str:
    used, limit = service.get("memory_working_set_bytes"), service.get("memory_limit_bytes")
    if used is None:
        return ""
    return f" {used / MIB:.0f}" + (f"/{limit / MIB:.0f}" if limit else "") + " MiB"


def _pipeline_line(figures: dict[str, Any]) -> str:
    if "error" in figures:
        return str(figures["error"])
    eps, fill = figures["events_shipped_per_second"], figures["buffer_fill_ratio"]
    return (
        f"{'-' if eps is None else f'{eps:.1f}'} events/s shipped, buffer "
        f"{'-' if fill is None else f'{fill:.0%}'} full"
    )


def render_facts(facts: dict[str, Any]) -> str:
    """Lines for the human screen."""
    lines = [
        f"{'units':<13} "
        + (", ".join(f"{u} {s}" for u, s in facts["units"].items()) or "systemd is not PID 1 here")
    ]
    capture = facts["capture"]
    lines.append(f"{'capture':<13} " + ", ".join(f"{k} {v}" for k, v in capture.items()))
    lines.append(f"{'last alert':<13} {facts['last_alert'] or 'none on the RAM disk'}")
    lines.append(f"{'throttle':<13} level {facts['throttle_level']}, pace {facts['shipping_pace']}")
    lines.append(
        f"{'shipping':<13} canary latency {facts['canary_latency_seconds']} s via "
        f"{facts['canary_sink']}; checks {facts['connectivity'] or '-'}"
    )
    lines.append(f"{'pipeline':<13} {_pipeline_line(facts['pipeline'])}")
    lines.append(f"{'rules':<13} {facts['rules_loaded']} loaded, {facts['rules_age_hours']} h old")
    lines.append(f"{'deploy':<13} {facts['last_deploy'] or 'not run yet'}")
    reason = facts.get("stack_not_running")
    stack = f"not running: {reason}" if reason else _stack_line(facts["stack"])
    lines.append(f"{'stack':<13} {stack}")
    if facts.get("first_boot"):
        lines.append(f"{'first boot':<13} {facts['first_boot']}")
    lines.append(
        f"{'disks':<13} RAM disk {facts['ramdisk']} (lost {facts['ramdisk_lost_events'] or 0}"
        f" events, {facts['ramdisk_lost_bytes'] or 0} bytes), state {facts['state_disk']}"
    )
    return "\n".join(lines)


def secrets_line(config: Config) -> str:
    """The generated Grafana and EveBox passwords, for root only (the secrets file is
    root's)."""
    from ids2.config.load import load_secrets
    from ids2.errors import Ids2Error

    if os.geteuid() != 0:
        raise Ids2Error("--secrets shows passwords: run it as root")
    secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
    return "\n".join(
        f"{name} admin password: {secrets[f'{name}_admin_password'] or '(not generated yet)'}"
        for name in ("grafana", "evebox")
    )
