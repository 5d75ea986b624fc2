"""Run deploy phases in order, reporting each as it goes, and stop at the first failure.

On a terminal each phase prints a line with its elapsed time; under systemd the same line
goes to STATUS=. A failed phase says what to fix; the phases after it do not run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from ids2.errors import Ids2Error
from ids2.system.notify import Notifier


class DeployError(Ids2Error):
    """A phase failed; the message says what to fix."""

    exit_status = 4


@dataclass(frozen=True)
class Phase:
    """One step of the deploy: its letter, what it does, and the function that does it."""

    letter: str
    title: str
    action: Callable[[], str | Warned]


@dataclass(frozen=True)
class Warned:
    """What a phase returns when it did its job but something needs a person's eyes (a
    capture interface that has seen no packets yet): reported as WARNING, the deploy
    goes on."""

    detail: str


@dataclass
class PhaseResult:
    """How one phase ended."""

    letter: str
    title: str
    ok: bool
    detail: str
    seconds: float
    warning: bool = False


@dataclass
class DeployReport:
    """Every phase run, in order."""

    results: list[PhaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)


def run_phases(
    phases: Sequence[Phase],
    only: str | None = None,
    notifier: Notifier | None = None,
    out: TextIO | None = None,
) -> DeployReport:
    """Run `phases` (or the one lettered `only`); stop at the first that fails."""
    selected = [phase for phase in phases if only is None or phase.letter == only.upper()]
    if not selected:
        letters = ", ".join(phase.letter for phase in phases)
        raise DeployError(f"no deploy phase {only!r}; phases are {letters}")
    out = sys.stdout if out is None else out  # looked up now: tests and callers swap it
    report = DeployReport()
    for phase in selected:
        if notifier is not None:
            notifier.status(f"deploy phase {phase.letter}: {phase.title}")
        started = time.monotonic()
        warning = False
        try:
            outcome = phase.action()
            ok = True
            warning = isinstance(outcome, Warned)
            detail = outcome.detail if isinstance(outcome, Warned) else outcome
        except Ids2Error as error:
            detail, ok = str(error), False
        seconds = time.monotonic() - started
        result = PhaseResult(phase.letter, phase.title, ok, detail, seconds, warning)
        report.results.append(result)
        verdict = "FAILED" if not ok else "WARNING" if warning else "ok"
        print(
            f"{phase.letter} {phase.title}: {verdict} ({result.seconds:.1f} s) {detail}",
            file=out,
            flush=True,
        )
        if not ok:
            break
    return report
