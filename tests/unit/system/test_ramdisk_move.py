"""The order of a RAM disk move: new one mounted, writers stopped, files moved, old one
unmounted, writers started again; and an old one that kept files stays mounted.

systemctl is a double here (a recorder): these machines have no systemd as PID 1. The
booted appliance test moves a real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.errors import Ids2Error
from ids2.system.ramdisk_move import move_ramdisk
from ids2.system.unit_names import mount_unit_name


def recording_systemctl(monkeypatch: pytest.MonkeyPatch, active: set[str]) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []

    def systemctl(*args: str, check: bool = True) -> str:
        calls.append(args)
        if args[0] == "is-active":
            return "active\n" if args[1] in active else "inactive\n"
        return ""

    monkeypatch.setattr("ids2.system.ramdisk_move.systemctl", systemctl)
    return calls


def test_the_writers_stop_while_the_files_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "eve-1.json").write_text("{}\n")
    calls = recording_systemctl(monkeypatch, {"suricata.service", "ids2-verify.service"})
    note = move_ramdisk([old], "new.mount", new)
    assert (new / "eve-1.json").read_text() == "{}\n"
    assert note == f"RAM disk moved to {new}, 1 files moved from {old}"
    changes = [call for call in calls if call[0] != "is-active"]
    assert changes == [
        ("start", "new.mount"),
        ("stop", "suricata.service", "ids2-verify.service"),
        ("stop", mount_unit_name(str(old))),
        ("start", "--no-block", "suricata.service", "ids2-verify.service"),
    ]


def test_an_old_ram_disk_that_kept_files_stays_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "eve-1.json").write_text("old\n")
    (new / "eve-1.json").write_text("new\n")
    calls = recording_systemctl(monkeypatch, {"suricata.service"})
    with pytest.raises(Ids2Error, match="already there"):
        move_ramdisk([old], "new.mount", new)
    assert (old / "eve-1.json").read_text() == "old\n"
    assert ("stop", mount_unit_name(str(old))) not in calls
    assert calls[-1] == ("start", "--no-block", "suricata.service")
