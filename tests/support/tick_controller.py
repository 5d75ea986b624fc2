"""A controller for runtime tests only: counts its steps, and hangs its loop on request.

Run as `python -m tests.support.tick_controller CONFIG BLOCK_FILE`: once BLOCK_FILE exists,
the next step sleeps for an hour, which is how a test proves that a stuck loop stops the
watchdog pings.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ids2.controllers.base import Controller
from ids2.controllers.runtime import run_controller


class TickController(Controller):
    """Publishes a step counter every 0.2 s."""

    name = "tick"
    block_file = Path("/nonexistent")
    ticks = 0

    def step(self) -> str:
        if self.block_file.exists():
            time.sleep(3600)
        self.ticks += 1
        return self.publish(f"tick {self.ticks}", True, ticks=self.ticks)

    def interval(self) -> float:
        return 0.2


if __name__ == "__main__":
    TickController.block_file = Path(sys.argv[2])
    sys.exit(run_controller(TickController, Path(sys.argv[1])))
