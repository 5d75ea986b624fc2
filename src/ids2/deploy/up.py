"""`ids2 up`: the whole sensor in the foreground, where ids2 is not installed as a package.

This is what `make run` starts on a development or evaluation machine: the RAM disk, the
rendered configs, Suricata capturing on the configured interface, a Docker-API engine (one
that answers, else podman started for the purpose: deploy.engine), the stack on it, and the
four controllers, each a child process. Ctrl-C stops them all. A stack that cannot start
(no engine, an image that cannot be pulled) stops nothing else: `ids2 up` publishes why,
and `ids2 status` and the verify controller say so.
On an appliance, systemd does this job through ids2.target instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ids2.common.apply import apply_files
from ids2.common.eve_files import suricata_uid
from ids2.config.load import Config, load_config
from ids2.controllers import CONTROLLERS
from ids2.deploy.engine import LocalEngine
from ids2.deploy.phases import DeployContext, stack_up
from ids2.deploy.render import render_all
from ids2.errors import Ids2Error
from ids2.shipping.canary import CANARY_DIRECTORY
from ids2.stack.compose import StackError
from ids2.stack.engine import write_report
from ids2.stack.up_state import clear_stack_outcome, publish_stack_outcome
from ids2.state import StateStore, runtime_dir
from ids2.status.report import collect, render_text
from ids2.suricata.rules import RULES_FILE, RulePaths, RulesError, update_rules

log = logging.getLogger(__name__)
STATUS_EVERY_SECONDS = 30.0


def ensure_ramdisk(config: Config) -> str:
    """Mount the tmpfs RAM disk when we may (root), else use a plain directory."""
    mount_point = Path(config["ramdisk"]["mount_point"])
    mount_point.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(mount_point):
        state = f"{mount_point} already mounted"
    elif os.geteuid() != 0:
        state = f"{mount_point} is a plain directory (mounting a tmpfs needs root)"
    else:
        size = f"size={config['ramdisk']['size_mb']}m,mode=0755,nosuid,nodev,noexec"
        subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(mount_point)], check=True)
        state = f"tmpfs mounted on {mount_point}"
    (mount_point / CANARY_DIRECTORY).mkdir(exist_ok=True)
    return state


def render_configs(config: Config) -> str:
    """Render, validate and install every generated file; name what changed."""
    report = apply_files(render_all(config), Path(config["paths"]["rendered_dir"]))
    return f"changed: {', '.join(report.changed) or 'nothing'}"


def ensure_rules(config: Config, paths: RulePaths | None = None) -> str:
    """A ruleset for Suricata to start with: the first update, where none is installed.

    On an appliance the rules timer does this job; here nothing else would, and Suricata
    would start with no rules at all.
    """
    paths = paths or RulePaths()
    if (paths.rules_dir / RULES_FILE).exists():
        return f"{paths.rules_dir / RULES_FILE} installed"
    try:
        return str(update_rules(config, paths)["summary"])
    except RulesError as error:
        return f"none installed: {str(error).splitlines()[0]}"


def make_runtime_dirs(config: Config) -> None:
    """What Suricata's unit and the package make on an appliance: the pidfile's directory,
    the command socket's, without which Suricata runs with no socket and rules cannot be
    reloaded, and pcap-log's ring, without which Suricata refuses to start (0750: it holds
    whole packets). Where Suricata drops to its own user, they and the RAM disk are that
    user's, as the package and the mount unit make them."""
    runtime_dir().mkdir(parents=True, exist_ok=True)
    written = [Path(config["sensor"]["unix_socket"]).parent, Path(config["ramdisk"]["mount_point"])]
    for directory in written:
        directory.mkdir(parents=True, exist_ok=True)
    pcap = config["sensor"]["pcap"]
    if pcap["enabled"]:
        written.append(Path(pcap["directory"]))
        written[-1].mkdir(mode=0o750, parents=True, exist_ok=True)
    uid = suricata_uid()
    if uid is not None:
        for directory in written:
            os.chown(directory, uid, -1)


def start_suricata(config: Config) -> subprocess.Popen[bytes]:
    """Suricata on the configured interface with the rendered config, as a child process."""
    suricata = shutil.which("suricata")
    if suricata is None:
        raise Ids2Error("suricata is not installed (sudo make deps installs it)")
    rendered = Path(config["paths"]["rendered_dir"]) / "suricata.yaml"
    make_runtime_dirs(config)
    command = [
        suricata,
        "-c",
        str(rendered),
        "--af-packet",
        "--pidfile",
        str(runtime_dir() / "suricata.pid"),
    ]
    return subprocess.Popen(command)


def start_controller(name: str, config_path: Path) -> subprocess.Popen[bytes]:
    """One controller as a child process, exactly as its systemd unit would run it.

    Children get sessions of their own, so Ctrl-C reaches only `ids2 up`, which then
    stops them in order.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "ids2", "run", name, "--config", str(config_path)]
    )


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in reversed(list(children.values())):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in children.items():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in 15 s; killing it", name)
            process.kill()


def start_engine(engine: LocalEngine) -> StackError | None:
    """Find or start the engine, first: the rendered files' checks in the stack's images
    need it too. Prints what it is; the error when there is none."""
    try:
        print(f"engine: {engine.start()}", flush=True)
    except StackError as error:
        return error
    return None


def start_stack(config: Config, store: StateStore, no_engine: StackError | None) -> str:
    """The stack brought up as deploy's phase D does; the line `ids2 up` prints. Why it is
    not running (`no_engine`, an image, compose) is also published for status and verify."""
    try:
        if no_engine is not None:
            raise no_engine
        summary = stack_up(DeployContext(config))
    except StackError as error:
        reason = str(error)
        publish_stack_outcome(store, reason, f"not running: {reason}")
        return (
            f"not running: {reason}; Suricata and the controllers run, EVE stays on the "
            "RAM disk until Vector runs"
        )
    publish_stack_outcome(store, None, summary)
    return summary


def up(config_path: Path) -> int:
    """Run the sensor until Ctrl-C or until a child dies; return the exit status."""
    config = load_config(config_path)
    for warning in config.warnings:
        log.warning("%s: %s", config.source, warning)
    print(f"RAM disk: {ensure_ramdisk(config)}", flush=True)
    store = StateStore(runtime_dir())
    engine = LocalEngine(runtime_dir())
    try:
        no_engine = start_engine(engine)
        print(f"configs: {render_configs(config)}", flush=True)
        print(f"rules: {ensure_rules(config)}", flush=True)
        print(f"stack: {start_stack(config, store, no_engine)}", flush=True)
        return _run(config, config_path, store)
    finally:
        engine.stop()
        clear_stack_outcome(store)


def _run(config: Config, config_path: Path, store: StateStore) -> int:
    """Suricata and the controllers until Ctrl-C or until one dies; the exit status."""
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = {"suricata": start_suricata(config)}
    children.update({name: start_controller(name, config_path) for name in CONTROLLERS})
    next_status = time.monotonic() + 5
    try:
        while not stop:
            time.sleep(0.5)
            if stop:
                break
            dead = {name: p.returncode for name, p in children.items() if p.poll() is not None}
            if dead:
                print(f"stopped unexpectedly: {dead}; stopping the rest", file=sys.stderr)
                return 1
            if time.monotonic() >= next_status:
                # No ids2-stack-report.timer runs here: this root process writes the report.
                write_report(store, config["stack"]["project_name"])
                print(render_text(collect(store)), flush=True)
                next_status = time.monotonic() + STATUS_EVERY_SECONDS
    finally:
        _stop(children)
    return 0
