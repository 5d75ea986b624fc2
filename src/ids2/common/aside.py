"""Blocking calls with no overall time limit of their own, run aside and waited for so long.

getaddrinfo has no timeout at all; an HTTP request through http.client has one per socket
operation only, and resolves the host and fetches AWS credentials untimed. Such a call runs
in a daemon thread that the round stops waiting for at its deadline: a call that overruns
finishes, or hangs, on its own without holding up the step or the process's exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ids2 import TYPE_CHECKING
from ids2.common.deadline import ProbeError

if TYPE_CHECKING:
    from typing import TypeVar

    Result = TypeVar("Result")


class Aside:
    """Runs one call at a time in a daemon thread; a call still running refuses the next,
    so a hung resolver never collects a thread per round."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._running: threading.Thread | None = None

    def call(self, function: Callable[[], Result], timeout: float, what: str) -> Result:
        """`function()`'s result, or what it raised; ProbeError after `timeout` seconds."""
        if self._running is not None and self._running.is_alive():
            raise ProbeError(f"{what} not attempted: the previous one is still running")
        outcome: list[Result] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(function())
            except BaseException as error:  # handed to the waiting caller
                failure.append(error)

        thread = threading.Thread(target=run, name=self.name, daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            self._running = thread
            raise ProbeError(f"{what} took longer than {timeout:g} s")
        self._running = None
        if failure:
            raise failure[0]
        return outcome[0]
