"""Rendered units and drop-ins checked by systemd's own parser, `systemd-analyze verify`,
in a scratch unit directory: a mount unit under the name its Where= gives it, a drop-in
on a stand-in for the unit it is installed for, beside the RAM disk's unit it names."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from ids2.common.apply import as_applied
from ids2.common.rendered import ValidationError, Validator, tool_missing_note
from ids2.system.unit_names import mount_unit_name, where_of

STAND_INS = {".service": "[Service]\nExecStart=/bin/true\n", ".target": "[Unit]\n"}
"""What a drop-in is checked on: the units it is installed for are not all on this machine
(Suricata's, outside the appliance) and their own faults are not the drop-in's."""


def verify_in_scratch(files: dict[str, str], unit: str) -> str:
    """`systemd-analyze verify` of `unit` among `files` (paths relative to a scratch unit
    directory, and their text); raises ValidationError with what systemd said."""
    missing = tool_missing_note("systemd-analyze")
    if missing:
        return missing
    with tempfile.TemporaryDirectory(prefix="ids2-units-") as scratch:
        for name, text in files.items():
            path = Path(scratch) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", f"./{unit}"],
            cwd=scratch,
            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{scratch}:"},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    # systemd warns of what it ignores (an unknown key, a relative path) and exits 0; what
    # it says of the machine it runs on (inside a deploy's sandbox) is not about the files.
    output = (result.stdout + result.stderr).replace(f"{scratch}/", "").splitlines()
    said = [line for line in output if any(name in line for name in files)]
    if result.returncode != 0 or said:
        raise ValidationError(
            "systemd-analyze verify: " + (" | ".join(said or output) or f"exit {result.returncode}")
        )
    return "systemd-analyze verify: ok"


def _mount_files(mount: Path) -> dict[str, str]:
    if not mount.exists():
        return {}
    text = mount.read_text()
    return {mount_unit_name(where_of(text)): text}


def check_mount_unit(path: Path) -> str:
    """The mount unit, under its name: systemd refuses one whose name is not its Where=."""
    files = _mount_files(path)
    return verify_in_scratch(files, next(iter(files)))


def check_dropin_for(unit: str, mount_file: str) -> Validator:
    """A validator of a drop-in installed for `unit` (its type decides the stand-in), with
    the rendered mount unit `mount_file` of the same batch beside it."""

    def check(path: Path) -> str:
        files = _mount_files(as_applied(path, mount_file))
        files[unit] = STAND_INS[Path(unit).suffix]
        files[f"{unit}.d/50-ids2.conf"] = path.read_text()
        return verify_in_scratch(files, unit)

    return check
