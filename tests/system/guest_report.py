"""Runs inside the booted guest (copied there by the system test): checks the appliance,
injects faults, and prints `IDS2T key=value` lines on the serial console."""

import glob
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONTROLLERS = ["resource", "connectivity", "metrics", "verify"]
CONTROLLER_UNITS = [f"ids2-{name}.service" for name in CONTROLLERS]
SURICATA = "suricata.service"
SOCKET = "/run/suricata/suricata-command.socket"
RELOAD = (  # Python that reloads Suricata's rules through its socket, as the rule timer does
    "from pathlib import Path; from ids2.suricata.rules import reload_live;"
    f"print(reload_live(Path('{SOCKET}'))['rules_loaded'])"
)
# The package at a higher version, which the test put next to this script.
UPGRADE_DEB = Path(__file__).with_name("ids2-upgrade.deb")
OPERATOR_EDIT = "# the operator's edit, which upgrades keep\n"
# Put next to this script by a test that wants only the running appliance checked, not the
# faults and the package lifecycle (the arm64 test: minutes each under full emulation).
BASICS_ONLY = Path(__file__).with_name("basics-only")
# ramdisk.mount_point moved here by a deploy: a '-' that systemd escapes in the unit's name.
MOVED_RAMDISK = "/srv/ids2-ram"
MOVED_UNIT = "srv-ids2\\x2dram.mount"
RENDERED_HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml"


def report(key, value):
    print(f"IDS2T {key}={value}", flush=True)


def key_of(unit):
    """A unit's name as a report key: ids2-verify.service is ids2_verify_service."""
    return unit.replace("-", "_").replace(".", "_")


def sh(*command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return f"({command[0]} is not installed)"
    return result.stdout.strip()


def uptime():
    return float(Path("/proc/uptime").read_text().split()[0])


def active(unit):
    return sh("systemctl", "is-active", unit) == "active"


def journal(unit, lines=25):
    """The unit's last journal lines on the console, for the test's failure output."""
    for line in sh(
        "journalctl", "-u", unit, "--no-pager", "-n", str(lines), "-o", "cat"
    ).splitlines():
        print(f"IDS2J {unit}: {line}", flush=True)


def main_pid(unit):
    return sh("systemctl", "show", "-p", "MainPID", "--value", unit)


def wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def all_controllers_active():
    return all(active(f"ids2-{name}.service") for name in CONTROLLERS)


def ready_since_kernel_start(unit, event="ActiveEnterTimestampMonotonic"):
    """When `unit` became active (READY for Type=notify), in seconds since kernel start."""
    return int(sh("systemctl", "show", "-p", event, "--value", unit) or 0) / 1e6


class Quiet(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def alert_seen(sid):
    for path in glob.glob("/mnt/ram_logs/eve*.json"):
        for line in Path(path).read_text(errors="replace").splitlines():
            if '"alert"' in line and f'"signature_id":{sid}' in line:
                return True
    return False


def deploy_phase(title):
    """The deploy's result line for one phase in its latest run (it runs at boot, after each
    restart and after the target start): "not run" when that run did not report it."""
    invocation = sh("systemctl", "show", "-p", "InvocationID", "--value", "ids2-deploy.service")
    lines = sh("journalctl", f"_SYSTEMD_INVOCATION_ID={invocation}", "--no-pager", "-o", "cat")
    found = [line for line in lines.splitlines() if line.startswith(title + ":")]
    return found[-1][len(title) + 1 :].strip().split(" (")[0] if found else "not run"


def apt_get(*arguments):
    """apt-get as an operator runs it; its output goes to the console for failures."""
    result = subprocess.run(
        ["apt-get", "-y", "-q", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    for line in (result.stdout + result.stderr).splitlines():
        print(f"IDS2J apt-get {arguments[0]}: {line}", flush=True)
    return result.returncode


def ids2_units_active():
    """Units of ours (and the Suricata we drive) that are still active or mounted."""
    units = sh("systemctl", "list-units", "--all", "--plain", "--no-legend", "--state=active")
    names = [line.split()[0] for line in units.splitlines() if line.strip()]
    ours = (SURICATA, "mnt-ram_logs.mount", MOVED_UNIT)
    return [n for n in names if n.startswith("ids2") or n in ours]


def leftovers():
    """What a purge must leave nothing of: config, state, spool, runtime dir, user, group."""
    paths = ["/etc/ids2", "/var/lib/ids2", "/run/ids2", "/etc/systemd/system/mnt-ram_logs.mount.d"]
    found = [path for path in paths if os.path.exists(path)]
    found += glob.glob("/etc/systemd/system/**/ids2*", recursive=True)
    found += glob.glob("/etc/systemd/system/**/50-ids2.conf", recursive=True)
    found += [path for path in glob.glob("/etc/systemd/system/*.mount") if rendered_by_ids2(path)]
    found += [
        f"{db}:{name}"
        for db in ("passwd", "group")
        for name in ("ids2", "suricata")  # Debian's suricata makes no user: ours, then
        if sh("getent", db, name)
    ]
    return found


def rendered_by_ids2(path):
    return Path(path).read_text(errors="replace").startswith(RENDERED_HEADER)


def package_lifecycle():
    """Upgrade, remove and purge with apt, as an operator would."""
    # The deploy that ids2.target started again may still be running: let it finish first.
    wait(lambda: sh("systemctl", "is-active", "ids2-deploy.service") != "activating", 300)
    config = Path("/etc/ids2/config.yaml")
    edited = config.read_text() + OPERATOR_EDIT
    config.write_text(edited)
    before = {unit: main_pid(unit) for unit in [*CONTROLLER_UNITS, SURICATA]}
    # Earlier builds put ids2 in the docker group: the upgrade takes it out again.
    sh("adduser", "--quiet", "ids2", "docker")
    report("upgrade_groups_before", sh("id", "-nG", "ids2"))
    report("upgrade_exit", apt_get("install", str(UPGRADE_DEB)))
    report("upgrade_groups_after", sh("id", "-nG", "ids2"))
    report("upgrade_version", sh("dpkg-query", "-W", "-f", "${Version}", "ids2"))
    report("upgrade_config_kept", config.read_text() == edited)
    restarted = wait(
        lambda: all(main_pid(u) not in ("0", before[u]) and active(u) for u in CONTROLLER_UNITS),
        120,
    )
    report("upgrade_controllers_restarted", restarted)
    report("upgrade_suricata_kept_running", main_pid(SURICATA) == before[SURICATA])

    report("remove_exit", apt_get("remove", "ids2"))
    report("remove_still_active", " ".join(ids2_units_active()) or "none")
    unit_files = sh("systemctl", "list-unit-files", "--no-legend", "ids2*", "*ram*.mount")
    report("remove_unit_files", unit_files.replace("\n", " | ") or "none")
    report("remove_config_kept", config.read_text() == edited)

    report("purge_exit", apt_get("purge", "ids2"))
    report("purge_leftovers", " ".join(leftovers()) or "none")


def as_ids2(*command):
    """`command` run as the ids2 user: its exit status and output on one line."""
    result = subprocess.run(
        ["runuser", "-u", "ids2", "--", *command], capture_output=True, text=True, check=False
    )
    output = (result.stdout + result.stderr).strip().replace("\n", " | ")
    return f"{result.returncode} {output}"


def group_names(pid):
    """The names of the groups process `pid` holds (its Groups: line, by gid)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Groups:"):
            return [sh("getent", "group", gid).split(":")[0] or gid for gid in line.split()[1:]]
    return []


def docker_socket_out_of_reach():
    """No long-running controller holds the docker group or can open the socket; the ids2
    user reaches container limits only by starting the root helper for a level 0-3."""
    report("ids2_groups", sh("id", "-nG", "ids2"))
    report(
        "controller_groups",
        " ".join(
            f"{name}={','.join(group_names(main_pid(f'ids2-{name}.service')))}"
            for name in CONTROLLERS
        ),
    )
    code = "import socket; socket.socket(socket.AF_UNIX).connect('/run/docker.sock')"
    report("docker_socket_as_ids2", as_ids2("/opt/venvs/ids2/bin/python", "-c", code))
    state = Path("/run/ids2/stack-limits.json")
    state.unlink(missing_ok=True)
    report("helper_level_4_as_ids2", as_ids2("systemctl", "start", "ids2-stack-limits@4.service"))
    report("helper_other_verb_as_ids2", as_ids2("systemctl", "stop", "ids2-deploy.service"))
    as_ids2("systemctl", "start", "ids2-stack-limits@1.service")  # waits for the oneshot
    written = json.loads(state.read_text()) if state.exists() else {}
    report(
        "helper_level_1_wrote",
        f"level={written.get('level')} owner={sh('stat', '-c', '%U', str(state))}",
    )
    report("helper_level_1_results", json.dumps(written.get("results"), sort_keys=True))
    sh("systemctl", "reset-failed", "ids2-stack-limits@1.service")
    # The stack's state reaches the exporter from the root report the timer writes.
    report("stack_report_timer", active("ids2-stack-report.timer"))
    stack = Path("/run/ids2/stack.json")
    wait(stack.exists, 90)
    report("stack_report_owner", sh("stat", "-c", "%U", str(stack)))

    def published():
        written = {
            k: v for k, v in json.loads(stack.read_text()).items() if k in ("services", "error")
        }
        metrics = json.loads(Path("/run/ids2/metrics.json").read_text()).get("stack")
        return written if metrics == written else None

    wait(published, 60)
    report("stack_report_published", json.dumps(published(), sort_keys=True))


def cgroup_figures_as_ids2():
    """What the metrics exporter reads of a container's cgroup, on this guest's cgroup v2
    and as its user ids2: the same functions on Suricata's service (busy, no memory limit)
    and on a transient unit with MemoryMax=64M (not named ids2*: see prepare())."""
    sh("systemd-run", "--unit=system-test-cgroup", "-p", "MemoryMax=64M", "sleep", "600")
    wait(lambda: main_pid("system-test-cgroup.service") not in ("", "0"), 30)
    figures = {}
    for name, unit in (("suricata", SURICATA), ("limited", "system-test-cgroup.service")):
        code = (
            "import json; from ids2.stack.cgroup import cgroup_directories, container_usage;"
            f"d = cgroup_directories({main_pid(unit)}); print(json.dumps([d, container_usage(d)]))"
        )
        said = as_ids2("/opt/venvs/ids2/bin/python", "-c", code)
        figures[name] = json.loads(said[2:]) if said.startswith("0 ") else said
    sh("systemctl", "stop", "system-test-cgroup.service")
    report("cgroup_v2", (Path("/sys/fs/cgroup") / "cgroup.controllers").is_file())
    report("cgroup_figures_as_ids2", json.dumps(figures, sort_keys=True))


def suricata_config():
    """Which configuration the running Suricata was started on, from its command line."""
    pid = main_pid(SURICATA)
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes() if pid not in ("", "0") else b""
    if b"/var/lib/ids2/rendered/suricata.yaml" in arguments:
        return "rendered"
    return "stock" if b"/etc/suricata/suricata.yaml" in arguments else "other"


def live_install():
    """apt install on a running system that has never had ids2 (the purge above), with
    Debian's Suricata running on its own config, as on a Pi already in use: everything
    must run at once, without a reboot. Then purge again, live."""
    sh("systemctl", "start", SURICATA)
    wait(lambda: active(SURICATA), 300)
    report("live_suricata_before", suricata_config() if active(SURICATA) else "inactive")
    report("live_suricata_user_before", bool(sh("getent", "passwd", "suricata")))
    installed_at = time.monotonic()
    report("live_install_exit", apt_get("install", str(UPGRADE_DEB)))
    wait(all_controllers_active, 300)
    report("live_controllers_ready_seconds", f"{time.monotonic() - installed_at:.1f}")
    wait(lambda: active(SURICATA) and suricata_config() == "rendered", 300)
    for unit in [
        "ids2.target",
        *CONTROLLER_UNITS,
        SURICATA,
        "mnt-ram_logs.mount",
        "ids2-rules-update.timer",
        "ids2-spool-prune.timer",
    ]:
        report(
            "live_" + unit.replace("-", "_").replace(".", "_"), sh("systemctl", "is-active", unit)
        )
    report("live_suricata_config", suricata_config())
    report("live_ramdisk", sh("findmnt", "-n", "-o", "FSTYPE,OPTIONS", "/mnt/ram_logs"))
    # The deploy runs (phase B renders) or says in its journal what it waits for.
    wait(lambda: deploy_phase("B render and validate configs") != "not run", 300)
    report("live_deploy_render", deploy_phase("B render and validate configs"))
    journal("ids2-deploy.service", 15)
    report("live_purge_exit", apt_get("purge", "ids2"))
    report("live_purge_still_active", " ".join(ids2_units_active()) or "none")
    report("live_purge_leftovers", " ".join(leftovers()) or "none")


def suricata_in_its_sandbox():
    """What Suricata must still do inside our drop-in's sandbox, beside capturing: reload
    its rules live through the command socket, and reopen its logs on SIGHUP."""
    report("sandbox_rules_reloaded", sh("/opt/venvs/ids2/bin/python", "-c", RELOAD) or "failed")
    pid = main_pid(SURICATA)
    hup = time.time()
    reload = subprocess.run(["systemctl", "reload", SURICATA], check=False)
    report("sandbox_hup_exit", reload.returncode)
    time.sleep(5)
    report("sandbox_hup_kept_running", active(SURICATA) and main_pid(SURICATA) == pid)
    suricata_as_its_user(pid, hup)
    security = sh("systemd-analyze", "security", "--no-pager", SURICATA).splitlines()
    report("suricata_exposure", security[-1].split(": ")[-1].split()[0] if security else "none")
    journal(SURICATA, 10)


def edit_config(*assignments):
    """Set keys of /etc/ids2/config.yaml, each `section.key = python literal`."""
    edit = (
        "import yaml, pathlib; p = pathlib.Path('/etc/ids2/config.yaml');"
        "d = yaml.safe_load(p.read_text()) or {};"
        + "".join(assignments)
        + "p.write_text(yaml.safe_dump(d))"
    )
    sh("/opt/venvs/ids2/bin/python", "-c", edit)


def suricata_as_its_user(pid, hup):
    """Suricata dropped to the suricata user with only af-packet's capabilities; after the
    SIGHUP at `hup` it still writes its log and EVE files; its command socket lets in the
    rule timer's sandbox (root without capabilities, group suricata), not the controllers'
    user."""
    status = dict(
        line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    uids = {sh("id", "-nu", uid) for uid in status["Uid"].split()}
    report("suricata_user", " ".join(sorted(uids)))
    report("suricata_capabilities", f"{status['CapEff'].strip()} {status['CapBnd'].strip()}")
    report("suricata_socket", sh("stat", "-c", "%U %G %a", SOCKET))
    python = "/opt/venvs/ids2/bin/python"
    rule_timer = [
        *("systemd-run", "--wait", "--pipe", "--quiet", "-p", "CapabilityBoundingSet="),
        *("-p", "NoNewPrivileges=yes", "-p", "SupplementaryGroups=ids2 suricata"),
    ]
    report("socket_rule_timer_reloaded", sh(*rule_timer, python, "-c", RELOAD) or "failed")
    controllers = subprocess.run(
        ["runuser", "-u", "ids2", "--", python, "-c", RELOAD], capture_output=True, text=True
    )
    refused = controllers.returncode != 0 and "ermission denied" in controllers.stderr
    report("socket_refuses_ids2_user", refused)
    log = Path("/var/log/suricata/suricata.log")
    report("log_written_after_hup", log.stat().st_mtime > hup)  # the reloads above log
    report("log_owner", sh("stat", "-c", "%U", str(log)))

    def eve_after_hup():
        newest = max(glob.glob("/mnt/ram_logs/eve-*.json"), key=os.path.getmtime, default="")
        return newest if newest and os.path.getmtime(newest) > hup else ""

    eve = eve_after_hup() if wait(eve_after_hup, 90) else ""
    report("eve_after_hup_owner", sh("stat", "-c", "%U %G", eve) if eve else "none")


def keys_reach_units():
    """sensor.rules.update_calendar and ramdisk.size_mb, changed in the config and deployed
    by the sandboxed deploy unit, read back from systemd and the mount; what was on the RAM
    disk is still there after the remount."""
    marker = Path("/mnt/ram_logs/ids2-remount-marker")
    marker.write_text("kept\n")
    edit_config(
        "d.setdefault('sensor', {}).setdefault('rules', {})['update_calendar'] = '*-*-* 03:30';",
        "d.setdefault('ramdisk', {})['size_mb'] = 640;",
    )
    sh("systemctl", "restart", "ids2-deploy.service")
    report("keys_deploy_render", deploy_phase("B render and validate configs"))
    calendar = sh("systemctl", "show", "-p", "TimersCalendar", "--value", "ids2-rules-update.timer")
    report("keys_timer_calendar", calendar.replace("\n", " "))
    report("keys_ramdisk_options", sh("findmnt", "-no", "OPTIONS", "/mnt/ram_logs"))
    report("keys_ramdisk_group", sh("stat", "-c", "%U %G %a", "/mnt/ram_logs"))
    report("keys_marker_kept", marker.exists() and marker.read_text() == "kept\n")
    journal("ids2-deploy.service", 12)


def newest_eve(directory):
    """The newest EVE file's modification time in `directory`, 0 when there is none."""
    return max((os.stat(path).st_mtime for path in glob.glob(f"{directory}/eve-*.json")), default=0)


def ramdisk_moves():
    """ramdisk.mount_point changed and deployed: the RAM disk is mounted by the unit named
    after the new path, Suricata writes its EVE there, a file of the old RAM disk is kept
    (moved) and the old one unmounted, and status names the new unit."""
    Path("/mnt/ram_logs/ids2-move-marker").write_text("moved\n")
    edit_config(f"d.setdefault('ramdisk', {{}})['mount_point'] = {MOVED_RAMDISK!r};")
    moved_at = time.time()
    sh("systemctl", "restart", "ids2-deploy.service")
    report("move_deploy_render", deploy_phase("B render and validate configs"))
    shown = sh("systemctl", "show", "-p", "ActiveState,Where,Options,FragmentPath", MOVED_UNIT)
    report("move_unit", shown.replace("\n", " "))
    report("move_old_mounted", sh("findmnt", "-n", "-o", "FSTYPE", "/mnt/ram_logs") or "no")
    marker = Path(MOVED_RAMDISK) / "ids2-move-marker"
    report("move_marker_kept", marker.exists() and marker.read_text() == "moved\n")
    report("move_marker_left_behind", Path("/mnt/ram_logs/ids2-move-marker").exists())
    # Suricata restarted onto the new path (its rules load slowly under emulation).
    written = wait(lambda: active(SURICATA) and newest_eve(MOVED_RAMDISK) > moved_at, 600)
    report("move_eve_written", written)
    report(
        "move_suricata_paths",
        sh(
            "systemctl", "show", "-p", "RequiresMountsFor,Requires,ReadWritePaths", SURICATA
        ).replace("\n", " "),
    )
    status = json.loads(sh("ids2", "status", "--json") or "{}").get("facts", {})
    report("move_status_units", json.dumps(status.get("units"), sort_keys=True))
    report("move_status_ramdisk", status.get("ramdisk"))
    journal("ids2-deploy.service", 20)


def check_running():
    """What the booted appliance must show before anything is done to it."""
    report("begin", f"{uptime():.1f}")
    report("architecture", sh("dpkg", "--print-architecture"))
    wait(all_controllers_active, 300)
    # Suricata compiles its rules at start, which takes a while under emulation.
    wait(lambda: active("suricata.service"), 300)
    ready = {unit: ready_since_kernel_start(unit) for unit in [*CONTROLLER_UNITS, SURICATA]}
    report("controllers_ready_uptime", f"{max(ready[unit] for unit in CONTROLLER_UNITS):.1f}")
    report("suricata_ready_uptime", f"{ready[SURICATA]:.1f}")
    for unit in [
        *(f"ids2-{n}.service" for n in CONTROLLERS),
        "suricata.service",
        "mnt-ram_logs.mount",
        "ids2-deploy.service",
        "polkit.service",
    ]:
        report(f"state_{key_of(unit)}", sh("systemctl", "is-active", unit))
    for unit in [
        *(f"ids2-{n}.service" for n in CONTROLLERS),
        "suricata.service",
        "ids2-deploy.service",
    ]:
        if not active(unit):
            journal(unit)
    report("ramdisk_mounted", sh("findmnt", "-n", "-o", "FSTYPE", "/mnt/ram_logs"))
    report("suricata_config", suricata_config())
    try:
        metrics = urllib.request.urlopen("http://127.0.0.1:10088/metrics", timeout=10).read()
        report("exporter", "ok" if b"ids2_build_info" in metrics else "no-build-info")
    except OSError as error:
        report("exporter", f"error-{error}")


def finish():
    report("done", "yes")
    subprocess.run(["systemctl", "--no-block", "poweroff"], check=False)


def main():
    check_running()
    if BASICS_ONLY.exists():
        finish()
        return
    server = ThreadingHTTPServer(("0.0.0.0", 8080), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    report("send_traffic", "now")
    report("alert", "yes" if wait(lambda: alert_seen(9400001), 120) else "no")
    suricata_in_its_sandbox()

    # Faults. kill -9: systemd restarts the unit within 5 s, the others keep running.
    others = {name: main_pid(f"ids2-{name}.service") for name in CONTROLLERS if name != "resource"}
    old = main_pid("ids2-resource.service")
    killed_at = time.monotonic()
    os.kill(int(old), signal.SIGKILL)
    back = wait(
        lambda: (
            main_pid("ids2-resource.service") not in ("0", old) and active("ids2-resource.service")
        ),
        90,
    )
    report("kill9_restart_seconds", f"{time.monotonic() - killed_at:.1f}" if back else "never")
    journal("ids2-resource.service", 12)
    report(
        "others_untouched", all(main_pid(f"ids2-{n}.service") == pid for n, pid in others.items())
    )

    # A broken config on reload is refused; the old one stays.
    config = Path("/etc/ids2/config.yaml")
    original = config.read_text()
    config.write_text("sensor:\n  workers: lots\n")
    sh("systemctl", "reload", "ids2-metrics.service")
    refused = wait(
        lambda: (
            "reload refused, keeping the previous configuration"
            in sh("journalctl", "-u", "ids2-metrics.service", "--no-pager", "-n", "50")
        ),
        30,
    )
    report("reload_refused", refused)
    report("metrics_still_active", active("ids2-metrics.service"))
    journal("ids2-metrics.service", 12)
    config.write_text(original)

    # The throttle action as the ids2 user: polkit lets it set suricata.service's limits.
    code = (
        "from ids2.system.throttle_actions import set_suricata_limits;"
        "from ids2.system.throttle import LevelSettings;"
        "print(set_suricata_limits(LevelSettings(3, 100, 384, 0.5, 'minimal')))"
    )
    result = subprocess.run(
        ["runuser", "-u", "ids2", "--", "/opt/venvs/ids2/bin/python", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    report("throttle_as_ids2", (result.stdout or result.stderr).strip().replace("\n", " | "))
    # Read back at once: the running resource controller sets its own level's limits too.
    report(
        "suricata_cpuquota",
        sh("systemctl", "show", "-p", "CPUQuotaPerSecUSec", "--value", "suricata.service"),
    )
    report(
        "suricata_memoryhigh",
        sh("systemctl", "show", "-p", "MemoryHigh", "--value", "suricata.service"),
    )
    cgroup_figures_as_ids2()
    docker_socket_out_of_reach()

    keys_reach_units()
    ramdisk_moves()

    # kill -STOP: the watchdog notices the silent loop and systemd restarts the unit.
    old = main_pid("ids2-connectivity.service")
    stopped_at = time.monotonic()
    os.kill(int(old), signal.SIGSTOP)
    back = wait(
        lambda: (
            main_pid("ids2-connectivity.service") not in ("0", old)
            and active("ids2-connectivity.service")
        ),
        90,
    )
    report("watchdog_restart_seconds", f"{time.monotonic() - stopped_at:.1f}" if back else "never")

    # systemctl start ids2.target to every controller READY (the deploy runs on, unwaited).
    sh("systemctl", "stop", "ids2.target")
    report("target_stopped_all", not any(active(unit) for unit in [*CONTROLLER_UNITS, SURICATA]))
    started = time.monotonic()
    sh("systemctl", "start", "--no-block", "ids2.target")
    wait(all_controllers_active, 120)
    report("target_start_to_ready_seconds", f"{time.monotonic() - started:.1f}")
    wait(lambda: active(SURICATA), 300)
    report("target_start_to_suricata_seconds", f"{time.monotonic() - started:.1f}")
    # Per unit, from systemd's own timestamps (the same monotonic clock): the verify
    # controller is ordered after the deploy, so its READY waits for the deploy's end.
    since_start = {
        unit.split(".")[0]: ready_since_kernel_start(unit) - started
        for unit in [*CONTROLLER_UNITS, SURICATA]
    }
    deploy_end = ready_since_kernel_start("ids2-deploy.service", "ExecMainExitTimestampMonotonic")
    since_start["deploy-ended"] = deploy_end - started
    report(
        "target_start_to_ready_by_unit",
        " ".join(f"{name}={seconds:.1f}" for name, seconds in since_start.items()),
    )
    # The target's start runs the deploy again, unwaited: read its render phase once it ends.
    wait(lambda: sh("systemctl", "is-active", "ids2-deploy.service") != "activating", 300)
    report("deploy_render", deploy_phase("B render and validate configs"))
    report("status_json_healthy", json.loads(sh("ids2", "status", "--json") or "{}").get("healthy"))
    report(
        "failed_units",
        sh("systemctl", "list-units", "--failed", "--no-legend", "--plain").replace("\n", " | ")
        or "none",
    )
    report(
        "verify_units",
        sh(
            "sh",
            "-c",
            "systemd-analyze verify --man=no "
            "/usr/lib/systemd/system/ids2*.service /usr/lib/systemd/system/ids2.target "
            "/etc/systemd/system/*.mount 2>&1 | tr '\\n' '|'",
        )
        or "clean",
    )
    package_lifecycle()
    live_install()
    finish()


main()
