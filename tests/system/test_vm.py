"""The QEMU wrapper's own behaviour, with a shell script in QEMU's place (fast, no marker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.vm import VirtualMachine

# Plays a guest with a disk ($1): each boot writes to it; the first boot panics (the host
# file $2 counts boots), a later one reports whether it found the disk as it was before.
GUEST = """
if [ -s "$1" ]; then state=written-by-the-panicked-boot; else state=as-before; fi
echo booted >> "$1"
if [ ! -e "$2" ]; then
    touch "$2"
    echo '[   19.066189] Kernel panic - not syncing: Fatal exception in interrupt'
    exit 0
fi
echo "IDS2T finished=$state"
"""


def started(command: list[str], log: Path, disks: tuple[Path, ...] = ()) -> VirtualMachine:
    return VirtualMachine.start(command, log, disks)


def test_a_kernel_panic_boots_the_guest_again_from_its_disks_as_before_that_boot(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "disk.raw"
    disk.write_text("")
    command = ["sh", "-c", GUEST, "guest", str(disk), str(tmp_path / "panicked")]
    vm = started(command, tmp_path / "serial.log", (disk,))
    assert vm.wait_for("finished", 30) == "as-before"
    assert disk.read_text() == "booted\n"
    assert vm.boots_after_a_panic == 1
    assert "Kernel panic" not in vm.text()
    assert "Kernel panic" in (tmp_path / "serial.log").read_text()


def test_a_second_panic_fails_with_the_console(tmp_path: Path) -> None:
    panics = ["sh", "-c", "echo 'Kernel panic - not syncing: again'"]
    vm = started(panics, tmp_path / "serial.log")
    with pytest.raises(AssertionError, match="never reported 'finished'") as failure:
        vm.wait_for("finished", 30)
    assert "Kernel panic - not syncing: again" in str(failure.value)
    assert vm.boots_after_a_panic == 1


def test_a_guest_that_stops_without_a_panic_is_not_booted_again(tmp_path: Path) -> None:
    vm = started(["sh", "-c", "echo 'reboot: Power down'"], tmp_path / "serial.log")
    with pytest.raises(AssertionError, match="never reported 'finished'"):
        vm.wait_for("finished", 30)
    assert vm.boots_after_a_panic == 0
