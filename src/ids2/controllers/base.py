"""What every controller is: a small class that the runtime drives step by step."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ids2 import TYPE_CHECKING
from ids2.config.values import Config
from ids2.state import StateStore

if TYPE_CHECKING:
    from typing import Any, ClassVar


class Controller(ABC):
    """One long-running job of the sensor, run as its own systemd unit.

    The constructor does no I/O. `setup()` prepares (and may fail), then the runtime calls
    `step()` every `interval()` seconds; READY=1 goes out only after the first step worked.
    """

    name: ClassVar[str]

    def __init__(self, config: Config, state: StateStore) -> None:
        self.config = config
        self.state = state

    def setup(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Acquire what the loop needs (sockets, servers); raise Ids2Error when impossible."""

    @abstractmethod
    def step(self) -> str:
        """Do one round of work, publish state, and return a one-line STATUS= summary."""

    @abstractmethod
    def interval(self) -> float:
        """Seconds from the end of one step to the start of the next."""

    def publish(self, summary: str, healthy: bool, **data: Any) -> str:
        """Write this controller's state file and return `summary` for STATUS=.

        Every state file carries `summary`, `healthy` and `interval`, which is what
        `ids2 status` and the metrics exporter need to judge any controller.
        """
        self.state.write(
            self.name,
            {"summary": summary, "healthy": healthy, "interval": self.interval(), **data},
        )
        return summary

    def apply_config(self, config: Config) -> None:
        """Adopt a new, already validated configuration (on SIGHUP)."""
        self.config = config

    def teardown(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Release what setup() acquired; called once on the way out."""
