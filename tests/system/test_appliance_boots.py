"""The appliance comes up: our trixie .deb installed with apt into Debian 13 (what Raspberry
Pi OS is today), booted under QEMU.

The guest's reporter (guest_report.py) checks the running sensor and injects faults; this
test sends traffic to the guest's NIC through QEMU user networking and reads the results
from the serial console.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.system.basics import package, prepare
from tests.system.rootfs import base_rootfs, host_arch, install_debs, make_disk
from tests.system.vm import boot

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap and chroot need root"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="needs QEMU"),
]


def upgrade_of(deb: Path, directory: Path) -> Path:
    """The same package at a higher version (repacked, not rebuilt: seconds, not minutes),
    for the guest's apt upgrade."""
    tree = directory / "upgrade"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    control = tree / "DEBIAN/control"
    text = control.read_text()
    version = re.search(r"^Version: (\S+)$", text, re.MULTILINE)
    assert version is not None, f"{deb} has no Version"
    control.write_text(text.replace(version.group(0), f"Version: {version.group(1)}+upgrade1"))
    upgrade = directory / "ids2-upgrade.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-b", str(tree), str(upgrade)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return upgrade


@pytest.fixture(scope="module")
def guest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build, install, boot once; what the guest's reporter printed."""
    tmp_path = tmp_path_factory.mktemp("appliance")
    started = time.monotonic()
    deb = package("trixie", host_arch())
    root = base_rootfs(tmp_path / "root")
    install_debs(root, [deb])
    shutil.copy(upgrade_of(deb, tmp_path), prepare(root) / "ids2-upgrade.deb")
    disk = tmp_path / "disk.raw"
    make_disk(root, disk)
    print(f"rootfs with {deb.name} ready in {time.monotonic() - started:.0f} s")
    port = free_port()
    vm = boot(root, disk, tmp_path / "serial.log", port, isolated=True)
    try:
        booted = time.monotonic()
        vm.wait_for("send_traffic", 900)
        for _ in range(3):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ids2-system-test", timeout=20)
            except OSError:
                time.sleep(2)
        vm.wait_for("done", 1100)
        print(f"guest report after {time.monotonic() - booted:.0f} s of boot:")
        vm.print_values()
    finally:
        vm.stop()
        vm.print_journal()
    return vm.values


def test_the_appliance_boots_and_survives_faults(guest: dict[str, str]) -> None:
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert guest[f"state_ids2_{name}_service"] == "active", name
    assert guest["ramdisk_mounted"] == "tmpfs"
    assert guest["exporter"] == "ok"
    # The 5 s goal is for real hardware: under TCG emulation Python starts ~10x slower,
    # so this asserts the restart and prints the time.
    assert guest["kill9_restart_seconds"] != "never"
    assert guest["others_untouched"] == "True"
    assert guest["reload_refused"] == "True" and guest["metrics_still_active"] == "True"
    assert guest["throttle_as_ids2"] == "CPUQuota=100% MemoryHigh=384M"
    assert guest["suricata_cpuquota"] == "1s"
    assert guest["suricata_memoryhigh"] == str(384 * 1024 * 1024)
    assert guest["watchdog_restart_seconds"] != "never"
    # Config keys reach the shipped units through the drop-ins the deploy renders.
    assert guest["keys_deploy_render"] == "ok"
    assert "OnCalendar=*-*-* 03:30:00" in guest["keys_timer_calendar"]
    assert "size=655360k" in guest["keys_ramdisk_options"]
    assert guest["keys_ramdisk_group"] == "suricata ids2 775"
    assert guest["keys_marker_kept"] == "True"
    assert guest["verify_units"] == "clean"
    # The deploy renders and validates inside its sandbox (the stack's images cannot be
    # pulled by an isolated guest, so phase D fails and is not asserted).
    assert guest["deploy_render"] == "ok"
    assert guest["target_stopped_all"] == "True"
    # Goal on real hardware: ids2.target to READY within 5 s. Under TCG these are reported.
    print(
        f"kernel start to all controllers READY: {guest['controllers_ready_uptime']} s, "
        f"to Suricata running: {guest['suricata_ready_uptime']} s; "
        f"systemctl start ids2.target to all controllers READY: "
        f"{guest['target_start_to_ready_seconds']} s, "
        f"to Suricata running: {guest['target_start_to_suricata_seconds']} s "
        f"({guest['target_start_to_ready_by_unit']})"
    )


def test_no_controller_can_reach_the_docker_socket(guest: dict[str, str]) -> None:
    """The Docker socket is root on the host: no long-running controller holds the docker
    group or can open it; the ids2 user may start the root helper for a level 0-3, which
    sets the containers' limits, and nothing else."""
    assert "docker" not in guest["ids2_groups"].split(), guest["ids2_groups"]
    groups = dict(entry.split("=") for entry in guest["controller_groups"].split())
    assert set(groups) == {"resource", "connectivity", "metrics", "verify"}
    assert all(names == "ids2" for names in groups.values()), groups
    socket = guest["docker_socket_as_ids2"]
    assert socket.startswith("1 ") and "PermissionError" in socket, socket
    # polkit answers no to a level outside 0-3 and to any other unit or verb.
    for key in ("helper_level_4_as_ids2", "helper_other_verb_as_ids2"):
        refused = re.search(r"Access denied|[Aa]uthentication required", guest[key])
        assert not guest[key].startswith("0 ") and refused, guest[key]
    # Level 1 ran as root (no stack runs on this isolated guest, so each service says why).
    assert guest["helper_level_1_wrote"] == "level=1 owner=root"
    results = json.loads(guest["helper_level_1_results"])
    assert set(results) == {"vector", "prometheus", "grafana", "evebox"}, results
    # The metrics controller publishes the root stack report (whatever the engine said).
    assert guest["stack_report_timer"] == "True"
    assert guest["stack_report_owner"] == "root"
    published = json.loads(guest["stack_report_published"])
    assert published and set(published) <= {"services", "error"}, published
    # An upgrade from a build that added ids2 to the docker group takes it out.
    assert "docker" in guest["upgrade_groups_before"].split()
    assert "docker" not in guest["upgrade_groups_after"].split()


def test_the_exporter_reads_cgroup_v2_figures_as_ids2(guest: dict[str, str]) -> None:
    """Container CPU and memory come from cgroup files the kernel lets ids2 read: on trixie's
    cgroup v2 (the Pi's), one directory holds both, and memory.max's "max" is no limit."""
    assert guest["cgroup_v2"] == "True"
    figures = json.loads(guest["cgroup_figures_as_ids2"])
    for name, unit in (("suricata", "suricata"), ("limited", "system-test-cgroup")):
        assert isinstance(figures[name], list), figures[name]  # else what ids2 was told
        directories, usage = figures[name]
        assert directories == dict.fromkeys(
            ("cpu", "memory"), f"/sys/fs/cgroup/system.slice/{unit}.service"
        )
        assert usage["memory_bytes"] > 0
        assert 0 <= usage["memory_working_set_bytes"] <= usage["memory_bytes"]
    assert figures["suricata"][1]["cpu_seconds"] > 0
    assert "memory_limit_bytes" not in figures["suricata"][1]
    assert figures["limited"][1]["memory_limit_bytes"] == 64 * 1024 * 1024


def test_a_moved_ram_disk_is_mounted_written_and_keeps_its_files(guest: dict[str, str]) -> None:
    """ramdisk.mount_point changed to /srv/ids2-ram and deployed (after size_mb 640)."""
    assert guest["move_deploy_render"] == "ok"
    unit = guest["move_unit"]
    assert "ActiveState=active" in unit and "Where=/srv/ids2-ram" in unit, unit
    assert "size=655360k" in unit and "mode=775" in unit, unit
    assert "FragmentPath=/etc/systemd/system/srv-ids2\\x2dram.mount" in unit, unit
    assert guest["move_old_mounted"] == "no"
    assert guest["move_marker_kept"] == "True"
    assert guest["move_marker_left_behind"] == "False"
    assert guest["move_eve_written"] == "True"
    paths = guest["move_suricata_paths"]  # systemctl show doubles the unit name's backslash
    assert "srv-ids2\\\\x2dram.mount" in paths and "/srv/ids2-ram" in paths, paths
    assert "mnt-ram_logs" not in paths and "/mnt/ram_logs" not in paths, paths
    assert '"srv-ids2\\\\x2dram.mount": "active"' in guest["move_status_units"]
    assert '"suricata.service": "active"' in guest["move_status_units"]
    assert guest["move_status_ramdisk"].endswith("of 640 MiB"), guest["move_status_ramdisk"]


def test_suricata_captures_on_the_guest_nic(guest: dict[str, str]) -> None:
    assert guest["state_suricata_service"] == "active"
    assert guest["suricata_config"] == "rendered"
    assert guest["alert"] == "yes"
    # Suricata's sandbox (our drop-in) leaves capture, live reload and SIGHUP working.
    assert int(guest["sandbox_rules_reloaded"]) > 0, guest["sandbox_rules_reloaded"]
    assert guest["sandbox_hup_exit"] == "0"
    assert guest["sandbox_hup_kept_running"] == "True"
    assert float(guest["suricata_exposure"]) <= 4.0
    # It runs as the suricata user, with af-packet's capabilities only (NET_ADMIN, NET_RAW,
    # SYS_NICE) and an empty bounding set; it still writes its files after the SIGHUP.
    assert guest["suricata_user"] == "suricata"
    assert guest["suricata_capabilities"] == "0000000000803000 0000000000000000"
    assert guest["log_written_after_hup"] == "True"
    assert guest["log_owner"] == "suricata"
    assert guest["eve_after_hup_owner"] == "suricata suricata"
    # Its command socket lets in the rule timer (group suricata), not the controllers' user.
    assert guest["suricata_socket"] == "suricata suricata 660"
    assert int(guest["socket_rule_timer_reloaded"]) > 0, guest["socket_rule_timer_reloaded"]
    assert guest["socket_refuses_ids2_user"] == "True"


def test_apt_upgrade_keeps_the_edited_config_and_restarts_the_controllers(
    guest: dict[str, str],
) -> None:
    assert guest["upgrade_exit"] == "0"
    assert guest["upgrade_version"].endswith("+upgrade1")
    assert guest["upgrade_config_kept"] == "True"
    assert guest["upgrade_controllers_restarted"] == "True"
    assert guest["upgrade_suricata_kept_running"] == "True"


def test_apt_remove_stops_everything_and_purge_leaves_nothing(guest: dict[str, str]) -> None:
    assert guest["remove_exit"] == "0"
    assert guest["remove_still_active"] == "none"
    assert guest["remove_unit_files"] == "none"
    assert guest["remove_config_kept"] == "True"
    assert guest["purge_exit"] == "0"
    assert guest["purge_leftovers"] == "none"


def test_the_package_names_its_release_and_python(guest: dict[str, str]) -> None:
    deb = package("trixie", host_arch())
    assert deb.name.endswith(f"~deb13u1_{host_arch()}.deb"), deb.name
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    assert "python3 (>= 3.13), python3 (<< 3.14)" in depends


def test_apt_install_on_a_running_system_runs_the_sensor_without_a_reboot(
    guest: dict[str, str],
) -> None:
    # Debian's Suricata ran on its own config before; the install restarts it on ours.
    assert guest["live_suricata_before"] == "stock"
    assert guest["live_install_exit"] == "0"
    for unit in ("ids2_target", "mnt_ram_logs_mount", "suricata_service"):
        assert guest[f"live_{unit}"] == "active", unit
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert guest[f"live_ids2_{name}_service"] == "active", name
    for timer in ("rules_update", "spool_prune"):
        assert guest[f"live_ids2_{timer}_timer"] == "active", timer
    assert guest["live_suricata_config"] == "rendered"
    assert guest["live_ramdisk"].startswith("tmpfs ") and "size=524288k" in guest["live_ramdisk"]
    assert guest["live_deploy_render"] == "ok"
    print(f"apt install to all controllers READY: {guest['live_controllers_ready_seconds']} s")


def test_apt_purge_on_a_running_system_leaves_nothing(guest: dict[str, str]) -> None:
    assert guest["live_purge_exit"] == "0"
    assert guest["live_purge_still_active"] == "none"
    assert guest["live_purge_leftovers"] == "none"
    # Debian's suricata makes no user: the one Suricata drops to is ours, and purge removes it.
    assert guest["live_suricata_user_before"] == "False"
