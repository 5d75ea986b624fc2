"""The deploy's phases A-G, each idempotent and able to run alone (`ids2 deploy --phase C`)."""

from __future__ import annotations

import os
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ids2.common.apply import apply_files
from ids2.config.load import Config
from ids2.controllers import CONTROLLERS
from ids2.deploy.history import ConfigHistory
from ids2.deploy.recheck import check_pending, remember_unchecked
from ids2.deploy.render import render_all
from ids2.deploy.runner import DeployError, Phase, Warned
from ids2.notify.render import CONFIG_FILE as ALERTMANAGER_FILE
from ids2.notify.render import TEMPLATE_FILE
from ids2.stack.compose import StackManager
from ids2.stack.engine import write_report
from ids2.stack.evebox import CONFIG_FILE as EVEBOX_CONFIG
from ids2.stack.evebox import ENV_FILE as EVEBOX_ENV
from ids2.stack.evebox import data_directory as evebox_data_directory
from ids2.stack.grafana import DATASOURCE_FILE
from ids2.stack.images import pull_missing, service_images
from ids2.stack.passwords import ensure_passwords
from ids2.stack.prometheus import alertmanager_address
from ids2.stack.render import CA_BUNDLE, LIMITS_FILE, compose_files, disabled_services
from ids2.state import StateStore, runtime_dir
from ids2.system.dropins import SYSTEMD_DIR, apply_units, install_units
from ids2.system.units import systemctl, systemd_is_running

PROMETHEUS_RELOAD_URL = "http://127.0.0.1:9090/-/reload"
STACK_HEALTH_TIMEOUT_SECONDS = 300.0
# Rendered files the stack's containers read: a change needs the stack brought up again.
VECTOR_FILES = {"vector.toml", "vector.env", CA_BUNDLE}
# Grafana reads its provisioning files at start only (a changed grafana.env recreates it).
GRAFANA_FILES = {DATASOURCE_FILE, CA_BUNDLE}
# EveBox reads its configuration at start only (a changed evebox.env recreates it).
EVEBOX_FILES = {EVEBOX_CONFIG}
STACK_FILES = (
    VECTOR_FILES
    | GRAFANA_FILES
    | EVEBOX_FILES
    | {"stack.env", LIMITS_FILE, "grafana.env", EVEBOX_ENV}
)


@dataclass
class DeployContext:
    """What the phases share: the config, what phase B changed (for reloads), and where
    the rendered units go."""

    config: Config
    changed: list[str] = field(default_factory=list)
    rendered_names: list[str] = field(default_factory=list)
    systemd_dir: Path = SYSTEMD_DIR

    @property
    def rendered_dir(self) -> Path:
        return Path(self.config["paths"]["rendered_dir"])

    def stack(self) -> StackManager:
        return StackManager(
            compose_files(self.config),
            self.config["stack"]["project_name"],
            self.rendered_dir / "stack.env",
        )


def render_and_apply(context: DeployContext) -> str:
    """Phase B: render every file, validate each with its tool, install what changed."""
    secrets_path = Path(context.config["shipping"]["secrets_file"])
    generated = ensure_passwords(secrets_path)
    files = render_all(context.config)
    report = apply_files(files, context.rendered_dir)
    context.changed = report.changed
    context.rendered_names = [rendered.name for rendered in files]
    # Files applied without their check (its image is not here yet), for phase D.
    remember_unchecked(Path(context.config["paths"]["state_dir"]), report.notes)
    # The units first: a moved RAM disk must be mounted before Suricata restarts onto it.
    units, moved = install_rendered_units(context)
    reload_changed(context, suricata_restarted=moved)
    note = f"; generated the admin password of {' and '.join(generated)}" if generated else ""
    note += f"; {units}" if units else ""
    return f"changed: {', '.join(report.changed) or 'nothing'}{note}"


def install_rendered_units(context: DeployContext) -> tuple[str, bool]:
    """Install the rendered mount unit and drop-ins and make systemd act on them; what was
    done, and whether the RAM disk moved (which restarts Suricata). Only where systemd runs
    these units: a container's or a test machine's own units stay."""
    if not (systemd_is_running() and os.geteuid() == 0):
        return "", False
    installed = install_units(context.rendered_dir, context.systemd_dir)
    return apply_units(installed, context.systemd_dir), bool(installed.old_points)


def reload_changed(context: DeployContext, suricata_restarted: bool = False) -> None:
    """Make running services pick up what changed; the stack itself is phase D's job.
    Moving the RAM disk has already restarted Suricata on its new config."""
    restart_suricata = "suricata.yaml" in context.changed and not suricata_restarted
    if restart_suricata and systemd_is_running():
        systemctl("try-restart", "suricata.service")
    if "prometheus.yml" in context.changed:
        _reload(PROMETHEUS_RELOAD_URL)
    if {ALERTMANAGER_FILE, TEMPLATE_FILE} & set(context.changed):
        _reload(f"http://{alertmanager_address(context.config)}/-/reload")


def _reload(url: str) -> None:
    """Ask a service of the stack to reread its files (both take POST /-/reload)."""
    try:
        request = urllib.request.Request(url, method="POST")
        urllib.request.urlopen(request, timeout=5).close()
    except OSError:
        pass  # not up yet: phase D starts it with the new file


def stack_up(context: DeployContext) -> str:
    """Phase D: pull the images the engine lacks, check the files phase B could not check
    without them, bring the stack up (recreating what changed), wait for health and write
    the stack report."""
    stack = context.stack()
    evebox_data_directory(context.config)
    disabled = disabled_services(context.config)
    pull_missing(stack.client(), service_images(stack.compose_files[0], disabled).values())
    history_dir = Path(context.config["deploy"]["history_dir"])
    state_dir = Path(context.config["paths"]["state_dir"])
    checked = check_pending(context.rendered_dir, history_dir, state_dir)
    try:
        stack.up()
        stack.remove(disabled)
        restarted = (("vector", VECTOR_FILES), ("grafana", GRAFANA_FILES), ("evebox", EVEBOX_FILES))
        for service, files in restarted:
            if files & set(context.changed) and service not in disabled:
                stack.restart(service)
        states = stack.wait_healthy(STACK_HEALTH_TIMEOUT_SECONDS)
    finally:
        # The containers as they are now, not until ids2-stack-report.timer's next run: for
        # `ids2 status`, and for the resource controller waiting for containers to limit.
        write_report(StateStore(runtime_dir()), context.config["stack"]["project_name"])
    health = ", ".join(f"{name} {state.health}" for name, state in sorted(states.items()))
    notes = "; ".join(f"{name}: {note}" for name, note in checked.items())
    return f"{health}; checked now that the images are here: {notes}" if checked else health


def commit_history(context: DeployContext) -> str:
    """Phase F: record the rendered configs in the local git history; push if configured."""
    history = ConfigHistory(Path(context.config["deploy"]["history_dir"]))
    names = context.rendered_names or sorted(
        path.name
        for path in context.rendered_dir.iterdir()
        if path.is_file() and not path.name.endswith(".last-good")
    )
    commit = history.record(
        context.rendered_dir, names, "deploy: configs verified", Path(context.config.source)
    )
    remote = context.config["deploy"]["history_remote"]
    if remote:
        history.push(remote)
    if commit is None:
        return "no change since the last recorded deploy"
    return f"recorded {commit.revision[:12]}: {commit.summary.splitlines()[-1].strip()}"


def hand_over(context: DeployContext) -> str:
    """Phase G: make sure the monitoring controllers run, now that the pipeline is verified."""
    if not systemd_is_running():
        return "systemd is not PID 1 here: start the controllers with `ids2 run NAME`"
    units = [f"ids2-{name}.service" for name in CONTROLLERS]
    systemctl("start", *units)
    return f"started {', '.join(units)}"


def check_endpoint(context: DeployContext) -> str:
    """Phase A: AWS identity and domain, a self-hosted endpoint, or the local spool."""
    opensearch = context.config["shipping"]["opensearch"]
    if not opensearch["endpoint"]:
        return f"no endpoint: shipping to the local spool {context.config['shipping']['spool']}"
    if opensearch["auth"] == "aws":
        from ids2.shipping.opensearch.aws import verify_aws

        return verify_aws(context.config)
    return f"self-hosted {opensearch['endpoint']} ({opensearch['auth']} auth): phase C probes it"


def wait_connectivity(context: DeployContext, timeout: float = 120.0) -> str | Warned:
    """Phase C: probe the endpoint until every check passes, or say which one fails; then
    install the index template and retention policy the daily indices need, and import
    the saved objects into Dashboards (warned about, not failed, when that cannot be done:
    events are shipped and searchable without them).

    It runs before phase D starts Vector: the first event Vector ships creates its daily
    index, and an index created before the template exists keeps dynamic mappings.
    """
    if not context.config["shipping"]["opensearch"]["endpoint"]:
        return "local spool: nothing to reach"
    from ids2.connectivity.round import probe_round

    deadline = time.monotonic() + timeout
    while True:
        checks = probe_round(context.config)
        failed = {name: result for name, result in checks.items() if not result.ok}
        if not failed and "opensearch" in checks:
            probes = ", ".join(
                f"{name} {r.latency_seconds * 1000:.0f} ms" for name, r in checks.items()
            )
            prepared = f"{probes}; {prepare_opensearch(context)}"
            imported = import_dashboards(context)
            if isinstance(imported, Warned):
                return Warned(f"{prepared}; {imported.detail}")
            return f"{prepared}; {imported}"
        if time.monotonic() > deadline:
            name, result = next(iter(failed.items()))
            raise DeployError(f"{name} check failed: {result.error}")
        time.sleep(5)


def prepare_opensearch(context: DeployContext) -> str:
    """The index template and the retention policy, installed or updated in place;
    OpenSearchSetupError says what to fix when OpenSearch refuses them."""
    from ids2.shipping.opensearch.client import make_client
    from ids2.shipping.opensearch.setup import prepare

    timeout = float(context.config["connectivity"]["timeout_seconds"])
    return prepare(make_client(context.config, timeout), context.config)


def import_dashboards(context: DeployContext) -> str | Warned:
    """The saved objects imported into OpenSearch Dashboards, or why not."""
    from ids2.shipping.opensearch.dashboards import (
        DashboardsImportError,
        dashboards_url,
        import_saved_objects,
        saved_objects_file,
    )
    from ids2.shipping.opensearch.http import make_http_client

    config = context.config
    opensearch = config["shipping"]["opensearch"]
    url = dashboards_url(config)
    if not url:
        return "no OpenSearch Dashboards to import into (shipping.opensearch.dashboards_url)"
    client = make_http_client(config, float(config["connectivity"]["timeout_seconds"]), url)
    try:
        return import_saved_objects(client, opensearch["index_prefix"], opensearch["auth"])
    except DashboardsImportError as error:
        return Warned(f"{error}; the next deploy tries again, or import {saved_objects_file()}")
    finally:
        client.close()


def verify_pipeline(context: DeployContext) -> str | Warned:
    """Phase E: Suricata capturing, and a canary through Vector into the sink."""
    from ids2.controllers.verify import make_sink
    from ids2.shipping.canary import send_canary
    from ids2.suricata.socket import SuricataSocket

    config = context.config
    interface = config["sensor"]["interface"]
    with SuricataSocket(Path(config["sensor"]["unix_socket"])) as control:
        packets = control.command("iface-stat", iface=interface)["pkts"]
    sink = make_sink(config)
    canary = send_canary(Path(config["ramdisk"]["mount_point"]), time.time())
    started = time.monotonic()
    while canary not in sink.arrived({canary}):
        if time.monotonic() - started > config["verify"]["timeout_seconds"]:
            raise DeployError(
                f"Suricata captures ({packets} packets on {interface}) but the "
                f"canary never reached the {sink.name}: check Vector's logs "
                "(docker logs $(docker ps -qf label=com.docker.compose.service=vector))"
            )
        time.sleep(1)
    arrived = f"canary in the {sink.name} after {time.monotonic() - started:.1f} s"
    if not packets:
        return Warned(
            f"no packets seen yet on {interface}: is the mirror (SPAN) port connected? "
            f"Suricata runs and the pipeline ships: {arrived}"
        )
    return f"Suricata captured {packets} packets on {interface}; {arrived}"


def deploy_phases(context: DeployContext) -> list[Phase]:
    """Phases A-G in order."""
    return [
        Phase("A", "check the endpoint and credentials", lambda: check_endpoint(context)),
        Phase("B", "render and validate configs", lambda: render_and_apply(context)),
        Phase("C", "wait for connectivity, prepare OpenSearch", lambda: wait_connectivity(context)),
        Phase("D", "bring up the stack", lambda: stack_up(context)),
        Phase("E", "verify the pipeline", lambda: verify_pipeline(context)),
        Phase("F", "record configs in the history", lambda: commit_history(context)),
        Phase("G", "hand over to monitoring", lambda: hand_over(context)),
    ]
