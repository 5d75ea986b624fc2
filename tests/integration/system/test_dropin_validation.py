"""The drop-ins' validators: systemd's own calendar parser, and a RAM disk that must still
hold what is on it (a real tmpfs)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.common.rendered import ValidationError
from ids2.system.render import MOUNT_UNIT, check_calendar, check_size_holds_the_ramdisk
from ids2.system.unit_check import check_dropin_for


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_refuses_a_calendar_the_schema_let_through(tmp_path: Path) -> None:
    dropin = tmp_path / "timer.conf"
    dropin.write_text("[Timer]\nOnCalendar=\nOnCalendar=*-*-* 03:30\n")
    assert check_calendar(dropin) == "systemd-analyze calendar: ok"
    dropin.write_text("[Timer]\nOnCalendar=\nOnCalendar=*-*-* 25:00\n")
    with pytest.raises(ValidationError, match="systemd-analyze calendar"):
        check_calendar(dropin)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "ram"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], check=True
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_smaller_ram_disk_must_hold_what_is_on_it(tmpfs: Path, tmp_path: Path) -> None:
    (tmpfs / "eve.json").write_bytes(b"x" * 10 * 2**20)
    dropin = tmp_path / "mount.conf"
    dropin.write_text("[Mount]\nOptions=size=12m,mode=0755\n")
    assert "holds the 10 MiB" in check_size_holds_the_ramdisk(dropin, tmpfs)
    dropin.write_text("[Mount]\nOptions=size=8m,mode=0755\n")
    with pytest.raises(ValidationError, match=r"ramdisk\.size_mb 8 is less than the 10 MiB"):
        check_size_holds_the_ramdisk(dropin, tmpfs)
    assert (tmpfs / "eve.json").stat().st_size == 10 * 2**20


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_refuses_a_drop_in_it_cannot_read(tmp_path: Path) -> None:
    """The drop-ins that name the RAM disk are checked on a stand-in unit, beside the
    rendered mount unit of the same batch."""
    (tmp_path / MOUNT_UNIT).write_text("[Mount]\nWhat=tmpfs\nWhere=/srv/ram\nType=tmpfs\n")
    check = check_dropin_for("suricata.service", MOUNT_UNIT)
    dropin = tmp_path / ".suricata.service.conf.candidate"
    dropin.write_text('[Unit]\nRequires=srv-ram.mount\n[Service]\nReadWritePaths="/srv/ram"\n')
    assert check(dropin) == "systemd-analyze verify: ok"
    dropin.write_text("[Service]\nReadWritePaths=srv/ram\n")
    with pytest.raises(ValidationError, match="path is not absolute"):
        check(dropin)
