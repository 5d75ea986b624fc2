"""The systemd drop-ins that carry config keys into the units the package ships.

`sensor.rules.update_calendar` becomes the rule timer's `OnCalendar=`, and `ramdisk.size_mb`
the RAM disk's tmpfs size. They are rendered and validated like every generated file, and
installed by `ids2.system.dropins`.
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

TIMER_DROPIN = "ids2-rules-update.timer.conf"
MOUNT_DROPIN = "mnt-ram_logs.mount.conf"
MOUNT_UNIT_POINT = Path(PACKAGED_RAMDISK)
"""Where the packaged mnt-ram_logs.mount mounts; the drop-in is rendered for that unit."""
RAMDISK_GROUP = "ids2"
HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml: edit that file, not this one.\n"


def mount_unit_name(mount_point: str) -> str:
    """systemd's name for the mount unit of `mount_point`, as `systemd-escape --path
    --suffix=mount` gives it: a mount unit must be named after its Where=."""
    parts = [part for part in mount_point.split("/") if part not in ("", ".")]
    if not parts:
        return "-.mount"
    escaped = []
    for index, character in enumerate("/".join(parts)):
        if character == "/":
            escaped.append("-")
        elif (
            (character.isascii() and character.isalnum())
            or character in ":_"
            or (character == "." and index > 0)
        ):
            escaped.append(character)
        else:
            escaped.extend(f"\\x{byte:02x}" for byte in character.encode())
    return "".join(escaped) + ".mount"


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


def mount_dropin(config: Config) -> str:
    try:
        gid: int | None = grp.getgrnam(RAMDISK_GROUP).gr_gid
    except KeyError:
        gid = None
    options = mount_options(config["ramdisk"]["size_mb"], gid, suricata_uid())
    return f"{HEADER}[Mount]\nOptions={options}\n"


def check_calendar(path: Path) -> str:
    """`systemd-analyze calendar`: systemd's own parser, stricter than the schema's check."""
    missing = tool_missing_note("systemd-analyze")
    if missing:
        return missing
    calendar = re.findall(r"^OnCalendar=(.+)$", path.read_text(), re.MULTILINE)[-1]
    return check_with_tool(["systemd-analyze", "calendar", calendar], "systemd-analyze calendar")


def check_size_holds_the_ramdisk(path: Path, mount_point: Path = MOUNT_UNIT_POINT) -> str:
    """A smaller RAM disk must still hold what is on it now: the kernel refuses such a
    remount, and nothing on the RAM disk may be lost to a config change."""
    size = re.search(r"size=(\d+)m", path.read_text())
    if size is None:
        raise ValidationError(f"{path.name}: no size= in its Options=")
    if not os.path.ismount(mount_point):
        return f"{mount_point} is not mounted: the size applies when it is"
    used_mb = shutil.disk_usage(mount_point).used / 2**20
    if int(size.group(1)) < used_mb:
        raise ValidationError(
            f"ramdisk.size_mb {size.group(1)} is less than the {used_mb:.0f} MiB on "
            f"{mount_point} now; the RAM disk keeps its size"
        )
    return f"holds the {used_mb:.0f} MiB on {mount_point} now"


VALIDATORS = {TIMER_DROPIN: check_calendar, MOUNT_DROPIN: check_size_holds_the_ramdisk}


def render(config: Config) -> list[RenderedFile]:
    """The timer's and the RAM disk's drop-ins."""
    return [
        RenderedFile(TIMER_DROPIN, timer_dropin(config), check_calendar),
        RenderedFile(MOUNT_DROPIN, mount_dropin(config), check_size_holds_the_ramdisk),
    ]
