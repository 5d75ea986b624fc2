"""Install the rendered units and drop-ins next to the units they change, and apply them live.

A unit only acts once systemd has read it: after a daemon-reload the timer is restarted
(its next run follows the new calendar) and the RAM disk remounted with its new size (a
tmpfs keeps its files through a remount), or moved when `ramdisk.mount_point` changed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ids2.config.schema import PACKAGED_RAMDISK
from ids2.system.ramdisk_move import move_ramdisk
from ids2.system.render import (
    HEADER,
    MOUNT_UNIT,
    SURICATA_DROPIN,
    TARGET_DROPIN,
    TIMER_DROPIN,
    USERS_DROPIN,
)
from ids2.system.unit_names import mount_unit_name, where_of
from ids2.system.units import systemctl, systemd_is_running

SYSTEMD_DIR = Path("/etc/systemd/system")
DROPIN_NAME = "50-ids2.conf"
TIMER = "ids2-rules-update.timer"
DROPINS = {
    TIMER_DROPIN: (TIMER,),
    TARGET_DROPIN: ("ids2.target",),
    SURICATA_DROPIN: ("suricata.service",),
    USERS_DROPIN: ("ids2-resource.service", "ids2-verify.service", "ids2-deploy.service"),
}
"""Each rendered drop-in, by the units it is installed for."""


class Installed:
    """What `install_units` changed: the units whose files changed, the RAM disk's mount
    point and the mount points of the RAM disks it replaces."""

    def __init__(self, units: list[str], mount_point: Path, old_points: list[Path]) -> None:
        self.units = units
        self.mount_point = mount_point
        self.old_points = old_points


def _write(target: Path, content: str) -> bool:
    """Replace `target` atomically; False when it already had `content`."""
    if target.exists() and target.read_text() == content:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.new")
    temp.write_text(content)
    os.replace(temp, target)
    return True


def _rendered_mounts(systemd_dir: Path) -> list[Path]:
    """The mount units ids2 installed: they begin with its header."""
    return [
        path
        for path in sorted(systemd_dir.glob("*.mount"))
        if path.is_file() and path.read_text().startswith(HEADER)
    ]


def install_units(rendered_dir: Path, systemd_dir: Path = SYSTEMD_DIR) -> Installed:
    """Copy the RAM disk's mount unit (under the name its Where= gives it) and each drop-in
    that differs into place, removing a mount unit of ours for another path."""
    changed = []
    for name, units in DROPINS.items():
        content = (rendered_dir / name).read_text()
        for unit in units:
            if _write(systemd_dir / f"{unit}.d" / DROPIN_NAME, content):
                changed.append(unit)
    unit_text = (rendered_dir / MOUNT_UNIT).read_text()
    mount_point = Path(where_of(unit_text))
    unit = mount_unit_name(str(mount_point))
    old_points = {Path(PACKAGED_RAMDISK)}
    for old in _rendered_mounts(systemd_dir):
        if old.name != unit:
            old_points.add(Path(where_of(old.read_text())))
            old.unlink()
            changed.append(old.name)
    if _write(systemd_dir / unit, unit_text):
        changed.append(unit)
    moved = sorted(point for point in old_points - {mount_point} if os.path.ismount(point))
    return Installed(changed, mount_point, moved)


def owner_follows_options(mount_point: Path, unit_text: str) -> None:
    """Give the tmpfs root the unit's mode, owner and group: a remount changes its size
    but keeps the mode, uid and gid it was first mounted with. Only what differs is changed:
    the root belongs to Suricata's user, and the deploy may not change it at will."""
    mode = re.search(r"\bmode=([0-7]+)", unit_text)
    uid = re.search(r"\buid=(\d+)", unit_text)
    gid = re.search(r"\bgid=(\d+)", unit_text)
    now = mount_point.stat()
    owner = (int(uid.group(1)) if uid else now.st_uid, int(gid.group(1)) if gid else now.st_gid)
    if owner != (now.st_uid, now.st_gid):
        os.chown(mount_point, *owner)
    if mode and int(mode.group(1), 8) != now.st_mode & 0o7777:
        os.chmod(mount_point, int(mode.group(1), 8))


def apply_units(installed: Installed, systemd_dir: Path = SYSTEMD_DIR) -> str:
    """Make systemd act on the changed units; what was done, in one line."""
    if not installed.units and not installed.old_points:
        return "units unchanged"
    if not systemd_is_running():
        return f"installed units for {', '.join(installed.units)}; systemd is not running here"
    systemctl("daemon-reload")
    done = []
    if TIMER in installed.units:
        systemctl("try-restart", TIMER)
        done.append("rule timer rescheduled")
    unit = mount_unit_name(str(installed.mount_point))
    if installed.old_points:
        done.append(move_ramdisk(installed.old_points, unit, installed.mount_point))
    # Reloading an active mount unit remounts it with its new Options=; one not mounted
    # yet takes them when it is.
    elif unit in installed.units and systemctl("is-active", unit, check=False).strip() == "active":
        systemctl("reload", unit)
        owner_follows_options(installed.mount_point, (systemd_dir / unit).read_text())
        done.append("RAM disk remounted")
    return "; ".join(done) or "units installed"
