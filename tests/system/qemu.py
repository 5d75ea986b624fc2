"""Booting a disk image under QEMU and reading the reports its guest prints on the serial
console (reporter.py, running_vm.py).

TCG only: /dev/kvm exists on the build machines but does not work. QEMU exits 0 whatever
the guest did, so success is judged from the console alone; `timeout` wraps QEMU so that
it cannot outlive a test even when the test process itself is killed.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.system.debian_rootfs import GUEST_MAC
from tests.system.running_vm import BootResult, RunningVm


@dataclass(frozen=True)
class Machine:
    """How QEMU emulates one Debian architecture."""

    binary: str
    arguments: tuple[str, ...]
    console: str


MACHINES = {
    "amd64": Machine("qemu-system-x86_64", ("-accel", "tcg", "-cpu", "max"), "ttyS0"),
    # The Raspberry Pi 5's core; `-cpu max` boots several times slower under TCG.
    "arm64": Machine(
        "qemu-system-aarch64", ("-M", "virt", "-accel", "tcg", "-cpu", "cortex-a76"), "ttyAMA0"
    ),
}


@dataclass(frozen=True)
class Forward:
    """A guest port reachable from the host at 127.0.0.1:host_port."""

    protocol: str
    guest_port: int
    host_port: int


@dataclass(frozen=True)
class Nic:
    """One virtio NIC on QEMU's user network: the guest is 10.0.2.15, the host 10.0.2.2,
    and `forwards` expose guest ports on the host's loopback only."""

    forwards: tuple[Forward, ...] = ()

    @classmethod
    def forwarding(cls, *guest_ports: int, protocol: str = "tcp") -> Nic:
        """A NIC forwarding each guest port from a free host port."""
        return cls(tuple(Forward(protocol, port, free_port(protocol)) for port in guest_ports))

    def host_port(self, guest_port: int, protocol: str = "tcp") -> int:
        """The host port that reaches `guest_port`. Raises KeyError if it is not forwarded."""
        for forward in self.forwards:
            if (forward.protocol, forward.guest_port) == (protocol, guest_port):
                return forward.host_port
        raise KeyError(f"{protocol} port {guest_port} is not forwarded")

    def qemu_arguments(self) -> list[str]:
        """QEMU's options for this NIC. No option ROM: iPXE would only slow the boot down."""
        forwards = [
            f"hostfwd={forward.protocol}:127.0.0.1:{forward.host_port}-:{forward.guest_port}"
            for forward in self.forwards
        ]
        return [
            "-netdev", ",".join(["user", "id=ids2-test-net", *forwards]),
            "-device", f"virtio-net-pci,netdev=ids2-test-net,mac={GUEST_MAC},romfile=",
        ]  # fmt: skip


def free_port(protocol: str = "tcp") -> int:
    """A port on 127.0.0.1 that nothing is bound to right now."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def qemu_command(
    disk: Path,
    kernel: Path,
    initrd: Path,
    arch: str = "amd64",
    timeout: float = 600,
    nic: Nic | None = None,
    memory_mb: int = 1024,
    cpus: int = 2,
    kernel_arguments: Sequence[str] = (),
    extra_qemu_args: Sequence[str] = (),
) -> list[str]:
    """The `timeout qemu-system-...` command line that boots `disk` with `kernel`."""
    machine = MACHINES[arch]
    append = ["root=/dev/vda", "rw", f"console={machine.console}", "panic=1", "quiet"]
    return [
        "timeout", "--kill-after=10", f"{timeout:.0f}", machine.binary, *machine.arguments,
        "-m", str(memory_mb), "-smp", str(cpus), "-nographic", "-no-reboot",
        "-kernel", str(kernel), "-initrd", str(initrd),
        "-append", " ".join([*append, *kernel_arguments]),
        "-drive", f"file={disk},format=raw,if=virtio",
        *(nic.qemu_arguments() if nic else ["-nic", "none"]),
        *extra_qemu_args,
    ]  # fmt: skip


@contextlib.contextmanager
def start_vm(
    disk: Path,
    kernel: Path,
    initrd: Path,
    arch: str = "amd64",
    timeout: float = 600,
    nic: Nic | None = None,
    log: Path | None = None,
    memory_mb: int = 1024,
    cpus: int = 2,
    kernel_arguments: Sequence[str] = (),
    extra_qemu_args: Sequence[str] = (),
) -> Iterator[RunningVm]:
    """Boot `disk` in the background for the duration of the block, for tests that talk to
    the guest while it runs (through `nic`'s forwarded ports). QEMU is killed on leaving
    the block if it still runs. The console goes to `log` (default: next to `disk`)."""
    command = qemu_command(
        disk, kernel, initrd, arch, timeout, nic, memory_mb, cpus, kernel_arguments,
        extra_qemu_args,
    )  # fmt: skip
    vm = RunningVm(command, log or disk.with_name(f"{disk.name}.serial.log"))
    try:
        yield vm
    finally:
        vm.stop()


def boot(
    disk: Path,
    kernel: Path,
    initrd: Path,
    arch: str = "amd64",
    timeout: float = 600,
    expect: Sequence[str] = (),
    nic: Nic | None = None,
    log: Path | None = None,
    memory_mb: int = 1024,
    cpus: int = 2,
    kernel_arguments: Sequence[str] = (),
    extra_qemu_args: Sequence[str] = (),
) -> BootResult:
    """Boot `disk` until the guest powers off (or `timeout` seconds) and return the result.

    Raises BootError, with the console's tail, when a report named in `expect` did not
    both begin and end.
    """
    with start_vm(
        disk, kernel, initrd, arch, timeout, nic, log, memory_mb, cpus, kernel_arguments,
        extra_qemu_args,
    ) as vm:  # fmt: skip
        result = vm.wait_until_finished(timeout + 15)
    for name in expect:
        result.report(name)
    return result
