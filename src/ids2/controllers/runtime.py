"""The loop every controller runs in: sd_notify, watchdog, SIGHUP reload, SIGTERM stop.

Signal handlers only set a flag and wake the loop through a pipe; all work happens in the
loop. The watchdog is pinged from the loop itself, so a step that hangs stops the pings
and systemd kills and restarts the unit.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from ids2.config.isolated import read_config
from ids2.config.values import Config
from ids2.controllers.base import Controller
from ids2.errors import ConfigError, Ids2Error
from ids2.logsetup import Logger
from ids2.state import StateStore, runtime_dir
from ids2.system.notify import Notifier

log = Logger(__name__)

ControllerFactory = Callable[[Config, StateStore], Controller]


class _Signals:
    """Flags set by signal handlers, plus a pipe that wakes the loop's select()."""

    def __init__(self) -> None:
        self.stop = False
        self.reload = False
        self._read_end, self._write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _wake(self) -> None:
        # A full pipe means the loop is going to wake anyway.
        with contextlib.suppress(BlockingIOError):
            os.write(self._write_end, b"x")

    def _on_stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stop = True
        self._wake()

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        self.reload = True
        self._wake()

    def wait(self, timeout: float) -> None:
        """Sleep until `timeout` passes or a signal arrives."""
        readable, _, _ = select.select([self._read_end], [], [], max(timeout, 0.0))
        if readable:
            while True:
                try:
                    if not os.read(self._read_end, 512):
                        break
                except BlockingIOError:
                    break

    def close(self) -> None:
        os.close(self._read_end)
        os.close(self._write_end)


class Runner:
    """Drives one controller from setup to a clean exit under systemd (or without it)."""

    def __init__(
        self,
        factory: ControllerFactory,
        config_path: Path,
        notifier: Notifier,
        state: StateStore,
    ) -> None:
        self.factory = factory
        self.config_path = config_path
        self.notifier = notifier
        self.state = state
        self.signals = _Signals()

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit status (0 on a requested stop)."""
        self.signals.install()
        config = read_config(self.config_path)
        for warning in config.warnings:
            log.warning("%s: %s", config.source, warning)
        controller = self.factory(config, self.state)
        try:
            controller.setup()
            status = controller.step()
            self.notifier.ready(status)
            log.info("ready: %s", status)
            self._loop(controller)
        finally:
            self.notifier.stopping()
            controller.teardown()
            self.signals.close()
        log.info("stopped")
        return 0

    def _loop(self, controller: Controller) -> None:
        watchdog = self.notifier.watchdog_seconds
        ping_every = watchdog / 2 if watchdog else None
        next_step = time.monotonic() + controller.interval()
        next_ping = time.monotonic()
        while not self.signals.stop:
            now = time.monotonic()
            if ping_every is not None and now >= next_ping:
                self.notifier.watchdog()
                next_ping = now + ping_every
            wake_at = next_step if ping_every is None else min(next_step, next_ping)
            self.signals.wait(wake_at - now)
            if self.signals.stop:
                return
            if self.signals.reload:
                self.signals.reload = False
                self._reload(controller)
            if time.monotonic() >= next_step:
                self.notifier.status(self._step(controller))
                next_step = time.monotonic() + controller.interval()

    def _step(self, controller: Controller) -> str:
        try:
            return controller.step()
        except Ids2Error as error:
            log.error("%s", error)
            return f"error: {error}"

    def _reload(self, controller: Controller) -> None:
        """Swap in the config file's new content, or keep the old one and say why."""
        self.notifier.reloading()
        try:
            config = read_config(self.config_path)
        except ConfigError as error:
            log.error("reload refused, keeping the previous configuration:\n%s", error)
            self.state.write(
                f"{controller.name}-reload",
                {"ok": False, "source": error.source, "problems": error.problems},
            )
            self.notifier.ready(
                f"reload refused: {len(error.problems)} problem(s) in "
                f"{error.source}; running with the previous configuration"
            )
            return
        controller.apply_config(config)
        self.state.write(f"{controller.name}-reload", {"ok": True, "source": config.source})
        log.info("reloaded %s", config.source)
        self.notifier.ready(f"reloaded {config.source}")


def run_controller(factory: ControllerFactory, config_path: Path) -> int:
    """Run a controller as a service: the entry point behind `ids2 run NAME`."""
    notifier = Notifier()
    return Runner(factory, config_path, notifier, StateStore(runtime_dir())).run()
