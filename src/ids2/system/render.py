"""The systemd units and drop-ins that carry config keys into the units the package ships.

`sensor.rules.update_calendar` becomes the rule timer's `OnCalendar=`. The RAM disk is a
mount unit rendered whole, since systemd names a mount unit after its `Where=`
(`ramdisk.mount_point`) and takes its size from `ramdisk.size_mb`; drop-ins name that unit
and that path for the units that use the RAM disk. They are rendered and validated like
every generated file, and installed by `ids2.system.dropins`.
"""

from __future__ import annotations

import grp
import os
import re
import shutil
from pathlib import Path

from ids2.common.eve_files import suricata_uid
from ids2.common.rendered import RenderedFile, ValidationError, check_with_tool, tool_missing_note
from ids2.config.load import Config
from ids2.config.schema import PACKAGED_RAMDISK
from ids2.system.unit_check import check_dropin_for, check_mount_unit
from ids2.system.unit_names import mount_unit_name, where_of

TIMER_DROPIN = "ids2-rules-update.timer.conf"
MOUNT_UNIT = "ramdisk.mount"
"""The RAM disk's mount unit as rendered; installed under the name its Where= gives it."""
SURICATA_DROPIN = "suricata.service.conf"
TARGET_DROPIN = "ids2.target.conf"
USERS_DROPIN = "ramdisk-users.conf"
"""For the other units that write the RAM disk: the resource and verify controllers and
the deploy."""
RAMDISK_GROUP = "ids2"
HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml: edit that file, not this one.\n"


def timer_dropin(config: Config) -> str:
    """OnCalendar= emptied first: a drop-in otherwise adds to the unit's own `daily`."""
    calendar = config["sensor"]["rules"]["update_calendar"]
    return f"{HEADER}[Timer]\nOnCalendar=\nOnCalendar={calendar}\n"


def mount_options(size_mb: int, gid: int | None, uid: int | None = None) -> str:
    """The tmpfs options; owned by the user Suricata drops to (it writes the EVE files)
    and group-writable for ids2 (the RAM-disk guard and the canary) where they exist, as
    they do once the package is installed."""
    group = f"mode=0775,gid={gid}" if gid is not None else "mode=0755"
    owner = f"uid={uid}," if uid is not None else ""
    return f"size={size_mb}m,{owner}{group},nosuid,nodev,noexec"


def mount_unit(config: Config) -> str:
    """The whole unit: a drop-in cannot move a mount unit, whose name is its Where=."""
    try:
        gid: int | None = grp.getgrnam(RAMDISK_GROUP).gr_gid
    except KeyError:
        gid = None
    options = mount_options(config["ramdisk"]["size_mb"], gid, suricata_uid())
    return (
        f"{HEADER}# The RAM disk that holds Suricata's EVE JSON until Vector has shipped it.\n"
        "[Unit]\nDescription=ids2 RAM disk for EVE JSON\n"
        "Documentation=file:///usr/share/doc/ids2/README.md\n"
        "DefaultDependencies=no\nConflicts=umount.target\n"
        "Before=local-fs.target umount.target suricata.service\n\n"
        f"[Mount]\nWhat=tmpfs\nWhere={_where(config).replace('%', '%%')}\nType=tmpfs\n"
        f"Options={options}\n"
        "DirectoryMode=0755\n"
    )


def _where(config: Config) -> str:
    """The mount point as systemd writes it: no trailing or doubled slashes."""
    return "/" + "/".join(part for part in config["ramdisk"]["mount_point"].split("/") if part)


def users_dropins(config: Config) -> dict[str, str]:
    """The drop-ins that name the RAM disk's unit and path for the units using it: the
    target wants it, Suricata needs it, and every writer may write there (their sandboxes
    leave the rest of the file system read-only)."""
    unit = mount_unit_name(config["ramdisk"]["mount_point"])
    # ReadWritePaths= splits on spaces unless quoted, and expands % specifiers.
    path = _where(config).replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return {
        TARGET_DROPIN: f"{HEADER}[Unit]\nWants={unit}\n",
        SURICATA_DROPIN: (
            f'{HEADER}[Unit]\nRequires={unit}\nAfter={unit}\n\n[Service]\nReadWritePaths="{path}"\n'
        ),
        USERS_DROPIN: f'{HEADER}[Unit]\nAfter={unit}\n\n[Service]\nReadWritePaths="-{path}"\n',
    }


def check_calendar(path: Path) -> str:
    """`systemd-analyze calendar`: systemd's own parser, stricter than the schema's check."""
    missing = tool_missing_note("systemd-analyze")
    if missing:
        return missing
    calendar = re.findall(r"^OnCalendar=(.+)$", path.read_text(), re.MULTILINE)[-1]
    return check_with_tool(["systemd-analyze", "calendar", calendar], "systemd-analyze calendar")


def check_size_holds_the_ramdisk(path: Path, mount_point: Path | None = None) -> str:
    """A smaller RAM disk must still hold what is on it now, `mount_point` (by default the
    one the unit installed beside `path` mounts, else the packaged path): the kernel
    refuses such a remount, and a moved RAM disk takes the files of the old one."""
    size = re.search(r"size=(\d+)m", path.read_text())
    if size is None:
        raise ValidationError(f"{path.name}: no size= in its Options=")
    if mount_point is None:
        installed = path.parent / MOUNT_UNIT
        current = where_of(installed.read_text()) if installed.exists() else PACKAGED_RAMDISK
        mount_point = Path(current)
    if not os.path.ismount(mount_point):
        return f"{mount_point} is not mounted: the size applies when it is"
    used_mb = shutil.disk_usage(mount_point).used / 2**20
    if int(size.group(1)) < used_mb:
        raise ValidationError(
            f"ramdisk.size_mb {size.group(1)} is less than the {used_mb:.0f} MiB on "
            f"{mount_point} now; the RAM disk keeps its size"
        )
    return f"holds the {used_mb:.0f} MiB on {mount_point} now"


def check_ramdisk_unit(path: Path) -> str:
    """The mount unit as systemd reads it, and its size against what it is to hold."""
    return f"{check_mount_unit(path)}; {check_size_holds_the_ramdisk(path)}"


VALIDATORS = {
    TIMER_DROPIN: check_calendar,
    MOUNT_UNIT: check_ramdisk_unit,
    # Each checked on the first unit it is installed for: they all take it alike.
    TARGET_DROPIN: check_dropin_for("ids2.target", MOUNT_UNIT),
    SURICATA_DROPIN: check_dropin_for("suricata.service", MOUNT_UNIT),
    USERS_DROPIN: check_dropin_for("ids2-resource.service", MOUNT_UNIT),
}


def render(config: Config) -> list[RenderedFile]:
    """The timer's drop-in, the RAM disk's mount unit and the drop-ins of its users."""
    texts = {TIMER_DROPIN: timer_dropin(config), MOUNT_UNIT: mount_unit(config)}
    texts.update(users_dropins(config))
    return [RenderedFile(name, text, VALIDATORS[name]) for name, text in texts.items()]
