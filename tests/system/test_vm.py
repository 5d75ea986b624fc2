"""The QEMU wrapper's own behaviour, with a shell script in QEMU's place (fast, no marker)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.system.vm import VirtualMachine

# Plays a guest: the first boot panics, a later one reports. The marker file is its disk.
GUEST = """
if [ -e "$1" ]; then echo 'IDS2T finished=yes'; exit 0; fi
touch "$1"
echo '[   19.066189] Kernel panic - not syncing: Fatal exception in interrupt'
"""


def started(command: list[str], log: Path) -> VirtualMachine:
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return VirtualMachine(process, log, command)


def test_a_kernel_panic_boots_the_guest_once_more_and_reads_only_that_boot(
    tmp_path: Path,
) -> None:
    vm = started(["sh", "-c", GUEST, "guest", str(tmp_path / "booted")], tmp_path / "serial.log")
    assert vm.wait_for("finished", 30) == "yes"
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
