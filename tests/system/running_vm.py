"""A running QEMU whose serial console is read line by line as it arrives, and what the
console showed: the guest's reports (reporter.py), the timings, the tail for error messages.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.system.reporter import Report, parse_reports

# CSI (colours, cursor), OSC (titles), and the short ones such as ESC c (reset).
ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[ -/]*[0-~])|\r")
KERNEL_TIMESTAMP = re.compile(r"^\[\s*(?P<seconds>\d+\.\d+)\]")
TAIL_LINES = 80


class BootError(AssertionError):
    """The guest did not report what the test expected; the message ends with the serial
    console's tail."""


@dataclass
class BootResult:
    """What a boot produced: the reports, the console log and the timings.

    `exit_status` is that of `timeout qemu ...` (124: timed out; None: killed by us).
    `kernel_start_wall`: host seconds from QEMU's start to the guest kernel's start.
    """

    log: Path
    reports: dict[str, Report]
    exit_status: int | None
    wall_seconds: float
    kernel_start_wall: float | None
    console: list[str] = field(repr=False)

    def report(self, name: str) -> Report:
        """The complete report `name`. Raises BootError (with the console's tail) if its end
        marker never arrived."""
        report = self.reports.get(name)
        if report is None or not report.complete:
            state = "never began" if report is None else "began but never ended"
            raise BootError(f"report {name!r} {state}; {self.describe()}\n{self.tail()}")
        return report

    def describe(self) -> str:
        """One line on how QEMU ended, for error messages."""
        ended = {None: "was stopped", 124: "timed out"}.get(self.exit_status, "exited")
        return f"QEMU {ended} (status {self.exit_status}) after {self.wall_seconds:.1f} s"

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of the console, escape codes removed."""
        return "\n".join(["--- serial console tail:", *self.console[-lines:], "---"])


class RunningVm:
    """A QEMU process whose console is read line by line as it arrives; use start_vm()."""

    def __init__(self, command: Sequence[str], log: Path) -> None:
        self.log = log
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._finished_at: float | None = None
        self._reader = threading.Thread(target=self._read_console, daemon=True)
        self._reader.start()

    def _read_console(self) -> None:
        assert self._process.stdout is not None
        partial = b""
        with self.log.open("wb") as log:
            while chunk := os.read(self._process.stdout.fileno(), 65536):
                log.write(chunk)
                log.flush()
                *complete, partial = (partial + chunk).split(b"\n")
                self._add([console_text(line) for line in complete])
            self._add([console_text(partial)] if partial else [])
        self._process.wait()
        with self._changed:
            self._finished_at = time.monotonic()
            self._changed.notify_all()

    def _add(self, lines: list[str]) -> None:
        wall = time.monotonic() - self.started
        with self._changed:
            self.lines.extend((wall, line) for line in lines)
            self._changed.notify_all()

    def result(self) -> BootResult:
        """What the console shows so far."""
        with self._changed:
            lines = list(self.lines)
            finished_at = self._finished_at
        reports = parse_reports(lines)
        end = finished_at if finished_at is not None else time.monotonic()
        return BootResult(
            log=self.log,
            reports=reports,
            exit_status=self._process.returncode,
            wall_seconds=end - self.started,
            kernel_start_wall=_kernel_start(lines, reports),
            console=[line for _, line in lines],
        )

    def wait_for(self, name: str, key: str | None = None, timeout: float = 600) -> Report:
        """Wait until report `name` has printed `key` (or ended, when `key` is None).

        Raises BootError with the console's tail when QEMU exits first or time runs out.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                report = parse_reports(self.lines).get(name)
                if report and (report.complete if key is None else key in report.values):
                    return report
                remaining = deadline - time.monotonic()
                if self._finished_at is not None or remaining <= 0:
                    break
                self._changed.wait(min(remaining, 1.0))
        result = self.result()
        waited = f"{key!r} in report {name!r}" if key else f"the end of report {name!r}"
        raise BootError(f"no {waited} after {timeout:.0f} s; {result.describe()}\n{result.tail()}")

    def wait_until_finished(self, timeout: float) -> BootResult:
        """Wait for QEMU to exit (the guest powered off) or `timeout`, then the result."""
        with self._changed:
            self._changed.wait_for(lambda: self._finished_at is not None, timeout)
        return self.result()

    def stop(self) -> None:
        """Kill QEMU (and its `timeout` wrapper) if it still runs; wait for the console."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=30)
        self._reader.join(timeout=30)


def console_text(line: bytes) -> str:
    """A console line as text, without terminal escape sequences and carriage returns."""
    return ESCAPES.sub(b"", line).decode(errors="replace")


def _kernel_start(lines: list[tuple[float, str]], reports: dict[str, Report]) -> float | None:
    for report in reports.values():
        if report.begin_wall is not None and report.begin_uptime is not None:
            return report.begin_wall - report.begin_uptime
    for wall, line in lines:
        if match := KERNEL_TIMESTAMP.match(line):
            return wall - float(match["seconds"])
    return None
