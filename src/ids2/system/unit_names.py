"""Names in systemd's terms: a mount unit is named after its mount point."""

from __future__ import annotations

import re

from ids2.common.rendered import ValidationError


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


def where_of(unit_text: str) -> str:
    """The Where= of a mount unit's text, its specifiers' escapes undone."""
    where = re.search(r"^Where=(.+)$", unit_text, re.MULTILINE)
    if where is None:
        raise ValidationError("the RAM disk's mount unit has no Where=")
    return where.group(1).strip().replace("%%", "%")
