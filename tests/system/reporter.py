"""The guest side of a system test: a unit that runs a test script once the guest has booted,
frames its output with markers on the serial console, and powers the guest off; and the
parser that reads those markers back from the console log.

On the console a report looks like this (journald may prefix each line with a timestamp
and the process name, so the markers are searched for anywhere on a line):

    IDS2-TEST-BEGIN smoke uptime=14.52
    IDS2-TEST smoke system_state=running
    IDS2-TEST smoke any line that is not key=value is kept as a note
    IDS2-TEST-END smoke status=0 uptime=15.01

`uptime` is the guest's /proc/uptime: seconds since its kernel started.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT_DIR = "usr/local/lib/ids2-test"
UNIT_DIR = "etc/systemd/system"
NAME = re.compile(r"[A-Za-z0-9_-]+")
BEGIN = re.compile(r"IDS2-TEST-BEGIN (?P<name>\S+) uptime=(?P<uptime>[0-9.]+)")
VALUE = re.compile(r"IDS2-TEST (?P<name>\S+) (?P<text>.*?)\s*$")
END = re.compile(r"IDS2-TEST-END (?P<name>\S+) status=(?P<status>\d+) uptime=(?P<uptime>[0-9.]+)")
KEY_VALUE = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)=(?P<value>.*)")

UNIT_TEMPLATE = """\
[Unit]
Description=ids2 system test reporter: {name}
After={after}

[Service]
# Not oneshot: the boot must not wait for the test, nor the test for the end of the boot.
Type=exec
ExecStart=/bin/bash /{script_dir}/{name}.run
StandardOutput=journal+console
StandardError=journal+console
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy={wanted_by}
"""
RUNNER_TEMPLATE = """\
#!/bin/bash
# Frames the test's output with markers on the console, then {ending}.
uptime() {{ cut -d' ' -f1 /proc/uptime; }}
echo "IDS2-TEST-BEGIN {name} uptime=$(uptime)"
set -o pipefail
{command} 2>&1 | while IFS= read -r line || [ -n "$line" ]; do
    printf 'IDS2-TEST {name} %s\\n' "$line"
done
echo "IDS2-TEST-END {name} status=$? uptime=$(uptime)"
{poweroff}
"""


def add_test_unit(
    root: Path,
    name: str,
    script: str,
    after: Sequence[str] = ("multi-user.target",),
    wanted_by: str = "multi-user.target",
    poweroff: bool = True,
) -> str:
    """Install and enable `ids2-test-<name>.service` in `root`; returns the unit's name.

    The unit runs `script` once every unit in `after` is up, prints `key=value` lines
    and notes framed by markers to the console (see the module's docstring), then powers
    the guest off unless `poweroff` is false (for all but the last of several reporters).
    A script starting with `#!` runs as its own program, anything else with bash.
    Raises ValueError for a name that is not letters, digits, '-' and '_'.
    """
    if not NAME.fullmatch(name):
        raise ValueError(f"test unit name {name!r}: use letters, digits, '-' and '_'")
    unit = f"ids2-test-{name}.service"
    script_dir = root / SCRIPT_DIR
    script_dir.mkdir(parents=True, exist_ok=True)
    test = script_dir / f"{name}.test"
    test.write_text(script)
    test.chmod(0o755)
    command = f"/{SCRIPT_DIR}/{test.name}"
    (script_dir / f"{name}.run").write_text(
        RUNNER_TEMPLATE.format(
            name=name,
            command=command if script.startswith("#!") else f"/bin/bash {command}",
            ending="powers the guest off" if poweroff else "leaves the guest running",
            poweroff="systemctl --no-block poweroff" if poweroff else "",
        )
    )
    (root / UNIT_DIR).mkdir(parents=True, exist_ok=True)
    (root / UNIT_DIR / unit).write_text(
        UNIT_TEMPLATE.format(
            name=name, after=" ".join(after), script_dir=SCRIPT_DIR, wanted_by=wanted_by
        )
    )
    wants = root / UNIT_DIR / f"{wanted_by}.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / unit).unlink(missing_ok=True)
    (wants / unit).symlink_to(f"/{UNIT_DIR}/{unit}")
    return unit


@dataclass
class Report:
    """What one reporter printed; the times are None for markers that never arrived.

    `*_uptime`: guest seconds since its kernel started. `*_wall`: host seconds since QEMU
    started, when the line reached the host.
    """

    name: str
    values: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: int | None = None
    begin_uptime: float | None = None
    end_uptime: float | None = None
    begin_wall: float | None = None
    end_wall: float | None = None

    @property
    def complete(self) -> bool:
        """True once the end marker arrived."""
        return self.status is not None


def parse_reports(lines: Iterable[tuple[float | None, str]]) -> dict[str, Report]:
    """Reports by name from console lines, each with the host time it arrived (or None).

    Lines carry no escape codes here (qemu.py strips them). A report restarted by a second
    begin marker (the guest rebooted) starts afresh.
    """
    reports: dict[str, Report] = {}
    for wall, line in lines:
        if match := BEGIN.search(line):
            reports[match["name"]] = Report(
                match["name"], begin_uptime=float(match["uptime"]), begin_wall=wall
            )
        elif match := END.search(line):
            report = reports.setdefault(match["name"], Report(match["name"]))
            report.status = int(match["status"])
            report.end_uptime = float(match["uptime"])
            report.end_wall = wall
        elif match := VALUE.search(line):
            report = reports.setdefault(match["name"], Report(match["name"]))
            if pair := KEY_VALUE.fullmatch(match["text"]):
                report.values[pair["key"]] = pair["value"]
            else:
                report.notes.append(match["text"])
    return reports
