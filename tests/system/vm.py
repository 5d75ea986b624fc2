"""Boot a disk image under QEMU (TCG: KVM does not work on these machines) and read its
serial console, where the guest's reporter prints `IDS2T key=value` lines."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Machine:
    """How QEMU emulates one Debian architecture, and the guest's serial console there."""

    qemu: str
    options: tuple[str, ...]
    console: str


MACHINES = {
    # Debian's DPDK (linked by its Suricata) is built for SSE4.2 and runs SSE4.1 code
    # (pinsrq) in a library constructor: QEMU's default qemu64 model lacks it, and
    # Suricata dies with SIGILL before main(). Nehalem is the oldest model that has
    # SSE4.2 and that TCG emulates completely (no "TCG doesn't support" warnings).
    "amd64": Machine("qemu-system-x86_64", ("-cpu", "Nehalem"), "ttyS0"),
    # The Pi 5's core (measured: boots in ~15 s where -cpu max takes ~40 s).
    "arm64": Machine("qemu-system-aarch64", ("-M", "virt", "-cpu", "cortex-a76"), "ttyAMA0"),
}


KERNEL_PANIC = b"Kernel panic - not syncing"


@dataclass
class VirtualMachine:
    """A running guest; `values` holds what its reporter printed so far in this boot.

    Now and then the emulated guest's kernel dies early in boot, whatever the guest runs (an
    oops in the slab allocator while udev loaded modules, 19 s into a first-boot test in one
    CI run); with `panic=1` and `-no-reboot` QEMU then exits. `wait_for` then puts the disks
    back as they were before the boot (a first boot that got halfway, say, has already taken
    the boot partition's file), boots once more, says so, and reads only the new boot's console.
    """

    process: subprocess.Popen[bytes]
    log: Path
    command: list[str]
    disks: tuple[Path, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    console_start: int = 0
    boots_after_a_panic: int = 0

    def console(self) -> bytes:
        with self.log.open("rb") as handle:
            handle.seek(self.console_start)
            return handle.read()

    def text(self) -> str:
        return ESCAPES.sub(b"", self.console()).decode(errors="replace")

    def wait_for(self, key: str, timeout: float) -> str:
        """Wait until the reporter printed `key`; AssertionError with the log's tail if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.values = dict(re.findall(r"IDS2T (\w+)=(.*?)\r?$", self.text(), re.MULTILINE))
            if key in self.values:
                return self.values[key]
            if self.process.poll() is not None:
                if KERNEL_PANIC in self.console() and self.boots_after_a_panic == 0:
                    self._boot_again_after_a_panic()
                    deadline = time.monotonic() + timeout
                    continue
                break
            time.sleep(1)
        tail = "\n".join(self.text().splitlines()[-60:])
        raise AssertionError(f"the guest never reported {key!r}; serial console tail:\n{tail}")

    @classmethod
    def start(cls, command: list[str], log: Path, disks: Sequence[Path]) -> VirtualMachine:
        """Run `command` with its console in `log`, first keeping a copy of each disk."""
        for disk in disks:
            _copy(disk, _before_boot(disk))
        return cls(_start(command, log.open("wb")), log, command, tuple(disks))

    def _boot_again_after_a_panic(self) -> None:
        print(
            f"{self.log.name}: the guest's kernel panicked under emulation; "
            "booting it again from the disks as they were"
        )
        for disk in self.disks:
            _copy(_before_boot(disk), disk)
        self.boots_after_a_panic += 1
        self.console_start = self.log.stat().st_size
        self.process = _start(self.command, self.log.open("ab"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)

    def print_values(self) -> None:
        """The reporter's key = value lines, for the test's output."""
        for key, value in self.values.items():
            print(f"  {key} = {value}")

    def print_journal(self) -> None:
        """The journal lines the reporter forwarded (IDS2J), for the test's output."""
        for line in self.text().splitlines():
            if "IDS2J" in line:
                print(line[line.index("IDS2J") :])


def boot(
    root: Path,
    disk: Path,
    log: Path,
    forwarded_port: int,
    extra_disks: Sequence[Path] = (),
    isolated: bool = False,
    arch: str = "amd64",
) -> VirtualMachine:
    """Start QEMU on `disk` with the root's own kernel; the guest's port 8080 is forwarded.

    `extra_disks` become /dev/vdb, /dev/vdc...; `isolated` keeps the guest off every network
    but the forwarded port (QEMU's restrict=on); `arch` is the root's (a key of MACHINES).
    """
    kernel = sorted(root.glob("boot/vmlinuz-*"))[-1]
    initrd = sorted(root.glob("boot/initrd.img-*"))[-1]
    machine = MACHINES[arch]
    command = [
        "timeout",
        "1200",
        machine.qemu,
        "-accel",
        "tcg",
        *machine.options,
        "-m",
        "2048",
        "-smp",
        "2",
        "-nographic",
        "-no-reboot",
        "-kernel",
        str(kernel),
        "-initrd",
        str(initrd),
        "-append",
        f"root=/dev/vda rw console={machine.console} net.ifnames=0 panic=1 quiet",
        "-drive",
        f"file={disk},format=raw,if=virtio",
        "-nic",
        f"user,model=virtio-net-pci,{'restrict=on,' if isolated else ''}"
        f"hostfwd=tcp:127.0.0.1:{forwarded_port}-:8080",
    ]
    for extra in extra_disks:
        command += ["-drive", f"file={extra},format=raw,if=virtio"]
    return VirtualMachine.start(command, log, [disk, *extra_disks])


def _before_boot(disk: Path) -> Path:
    return disk.with_name(f"{disk.name}.before-boot")


def _copy(source: Path, target: Path) -> None:
    """A copy that keeps the image's holes (mkfs.ext4 -d writes a sparse 4 GB file)."""
    subprocess.run(
        ["cp", "--sparse=always", "--reflink=auto", str(source), str(target)], check=True
    )


def _start(command: list[str], console: BinaryIO) -> subprocess.Popen[bytes]:
    """QEMU with its serial console (stdout) written to `console`."""
    return subprocess.Popen(
        command, stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
