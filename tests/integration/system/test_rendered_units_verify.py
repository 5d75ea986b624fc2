"""The RAM disk's rendered mount unit and the drop-ins that name it, installed beside the
package's units and judged by systemd's own `systemd-analyze verify` for awkward paths:
the unit must be named after its Where=, and every drop-in must parse and name it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.system.dropins import install_units
from ids2.system.render import render
from ids2.system.unit_names import mount_unit_name

UNITS_DIR = Path(__file__).resolve().parents[3] / "systemd"
DEBIAN_SURICATA_UNIT = Path("/lib/systemd/system/suricata.service")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze"),
]


def installed_beside_the_package(tmp_path: Path, mount_point: str) -> Path:
    """The package's units and, installed over them, what the config renders."""
    config = validate_document(
        {"ramdisk": {"mount_point": mount_point}}, "t", Machine(4, 8192, frozenset({"eth0"}))
    )
    rendered, systemd = tmp_path / "rendered", tmp_path / "systemd"
    rendered.mkdir()
    for file in render(config):
        (rendered / file.name).write_text(file.content)
    shutil.copytree(UNITS_DIR, systemd, ignore=shutil.ignore_patterns("*.rules"))
    if DEBIAN_SURICATA_UNIT.exists():
        shutil.copy(DEBIAN_SURICATA_UNIT, systemd)
    install_units(rendered, systemd)
    return systemd


def verify(systemd: Path, units: list[str]) -> list[str]:
    """What `systemd-analyze verify` says of `units`, but for the executables this machine
    does not have (the package installs them; their absence alone makes it exit 1)."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{unit}" for unit in units)],
        cwd=systemd,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{systemd}:"},
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).splitlines()
    return [line for line in output if "is not executable" not in line]


@pytest.mark.parametrize(
    "mount_point",
    ["/mnt/ram_logs", "/srv/ids2-ram", "/var/lib/ids 2/.ram", "/data//eve/", "/mnt/ünï", "/x/%h"],
)
def test_systemd_accepts_the_rendered_units(tmp_path: Path, mount_point: str) -> None:
    systemd = installed_beside_the_package(tmp_path, mount_point)
    mount = mount_unit_name(mount_point)
    assert (systemd / mount).is_file()
    units = [mount, "ids2.target", "ids2-resource.service", "ids2-verify.service"]
    units += ["ids2-deploy.service"]
    if DEBIAN_SURICATA_UNIT.exists():
        units.append("suricata.service")
    assert verify(systemd, units) == []


def test_a_unit_named_for_another_path_is_refused(tmp_path: Path) -> None:
    """The check above can fail: systemd refuses a mount unit whose name is not its path."""
    systemd = installed_beside_the_package(tmp_path, "/srv/ids2-ram")
    (systemd / "srv-other.mount").write_text((systemd / "srv-ids2\\x2dram.mount").read_text())
    assert any("doesn't match unit name" in line for line in verify(systemd, ["srv-other.mount"]))
