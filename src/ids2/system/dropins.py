"""Install the rendered drop-ins next to the units they change, and apply them live.

A drop-in only acts once systemd has read it: after a daemon-reload the timer is restarted
(its next run follows the new calendar) and the RAM disk remounted with its new size (a
tmpfs keeps its files through a remount).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ids2.system.render import MOUNT_DROPIN, MOUNT_UNIT_POINT, TIMER_DROPIN, mount_unit_name
from ids2.system.units import systemctl, systemd_is_running

SYSTEMD_DIR = Path("/etc/systemd/system")
DROPIN_NAME = "50-ids2.conf"
UNITS = {
    TIMER_DROPIN: "ids2-rules-update.timer",
    MOUNT_DROPIN: mount_unit_name(str(MOUNT_UNIT_POINT)),
}
"""Each rendered drop-in, by the unit it belongs to."""


def install_dropins(rendered_dir: Path, systemd_dir: Path = SYSTEMD_DIR) -> list[str]:
    """Copy each rendered drop-in that differs into `<unit>.d/`; the units changed."""
    changed = []
    for name, unit in UNITS.items():
        content = (rendered_dir / name).read_text()
        target = systemd_dir / f"{unit}.d" / DROPIN_NAME
        if target.exists() and target.read_text() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{DROPIN_NAME}.new")
        temp.write_text(content)
        os.replace(temp, target)
        changed.append(unit)
    return changed


def owner_follows_options(mount_point: Path, dropin: str) -> None:
    """Give the tmpfs root the drop-in's mode, owner and group: a remount changes its size
    but keeps the mode, uid and gid it was first mounted with. Only what differs is changed:
    the root belongs to Suricata's user, and the deploy may not change it at will."""
    mode = re.search(r"\bmode=([0-7]+)", dropin)
    uid = re.search(r"\buid=(\d+)", dropin)
    gid = re.search(r"\bgid=(\d+)", dropin)
    now = mount_point.stat()
    owner = (int(uid.group(1)) if uid else now.st_uid, int(gid.group(1)) if gid else now.st_gid)
    if owner != (now.st_uid, now.st_gid):
        os.chown(mount_point, *owner)
    if mode and int(mode.group(1), 8) != now.st_mode & 0o7777:
        os.chmod(mount_point, int(mode.group(1), 8))


def apply_dropins(units: list[str]) -> str:
    """Make systemd act on the changed drop-ins; what was done, in one line."""
    if not units:
        return "drop-ins unchanged"
    if not systemd_is_running():
        return f"installed drop-ins for {', '.join(units)}; systemd is not running here"
    systemctl("daemon-reload")
    done = []
    if UNITS[TIMER_DROPIN] in units:
        systemctl("try-restart", UNITS[TIMER_DROPIN])
        done.append("rule timer rescheduled")
    mount = UNITS[MOUNT_DROPIN]
    # Reloading an active mount unit remounts it with its new Options=; one not mounted
    # yet takes them when it is.
    if mount in units and systemctl("is-active", mount, check=False).strip() == "active":
        systemctl("reload", mount)
        options = (SYSTEMD_DIR / f"{mount}.d" / DROPIN_NAME).read_text()
        owner_follows_options(MOUNT_UNIT_POINT, options)
        done.append("RAM disk remounted")
    return "; ".join(done) or "drop-ins installed"
