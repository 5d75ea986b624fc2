"""The resource controller: keeps the box at or under its CPU/RAM budget by throttling.

Every `sample_interval_seconds` it samples CPU (total and per core) and RAM with psutil,
averages the last few samples, picks a throttle level 0-3 and, when the level changes,
applies that level's real effects (Suricata's systemd limits, container CPU limits) and
publishes the shipping pace for the stack side. Container limits are the root helper
unit's to set (see `ids2.system.throttle_actions`); this process never holds the Docker
socket, and it folds the helper's outcome into its own results when the helper is done.
The helper is asked only while the latest stack report shows a running container: with
none it could only fail, so the level waits for the report that shows one.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import psutil

from ids2 import TYPE_CHECKING
from ids2.config.values import Config
from ids2.controllers.base import Controller
from ids2.logsetup import Logger
from ids2.stack.report import REPORT_STATE, no_running_container
from ids2.state import StateStore
from ids2.system.ramdisk import GuardReport, enforce, prune_alerts, usage_ratio
from ids2.system.throttle import LevelSettings, choose_level, settings_for, thresholds
from ids2.system.throttle_actions import LIMITS_STATE, SystemActions

if TYPE_CHECKING:
    from ids2.system.throttle_actions import ThrottleActions

log = Logger(__name__)


class ResourceController(Controller):
    """Samples load, chooses a throttle level, and applies its effects on a change."""

    name = "resource"

    def __init__(
        self, config: Config, state: StateStore, actions: ThrottleActions | None = None
    ) -> None:
        super().__init__(config, state)
        self.actions = actions
        self.level = 0
        self.cpu_window: deque[float] = deque(maxlen=config["resources"]["smoothing_samples"])
        self.memory_window: deque[float] = deque(maxlen=self.cpu_window.maxlen)
        self.action_results: dict[str, str] = {}
        self.action_failures_total = 0
        self._logged_failures: set[str] = set()
        self.ramdisk = GuardReport()
        self.requested_at = 0.0  # when the last level's actions were asked for
        self.helper_seen_at = 0.0  # the helper's last run already folded in
        self.containers_wait: str | None = None  # why the level's container limits wait

    def setup(self) -> None:
        if self.actions is None:
            self.actions = SystemActions()
        psutil.cpu_percent(percpu=True)  # the first call only primes the counters

    def interval(self) -> float:
        return float(self.config["resources"]["sample_interval_seconds"])

    def apply_config(self, config: Config) -> None:
        super().apply_config(config)
        size = config["resources"]["smoothing_samples"]
        self.cpu_window = deque(self.cpu_window, maxlen=size)
        self.memory_window = deque(self.memory_window, maxlen=size)
        self._apply(settings_for(config["resources"], self.level))

    def step(self) -> str:
        self._guard_ramdisk()
        per_core = psutil.cpu_percent(percpu=True)
        cpu = sum(per_core) / len(per_core)
        memory = psutil.virtual_memory().percent
        self.cpu_window.append(cpu)
        self.memory_window.append(memory)
        cpu_smoothed = sum(self.cpu_window) / len(self.cpu_window)
        memory_smoothed = sum(self.memory_window) / len(self.memory_window)
        load = max(cpu_smoothed, memory_smoothed)
        resources = self.config["resources"]
        level = choose_level(
            load, self.level, thresholds(resources), resources["hysteresis_percent"]
        )
        if level != self.level:
            log.info("throttle level %d -> %d at %.0f %% load", self.level, level, load)
            self.level = level
            self._apply(settings_for(resources, level))
        elif self.containers_wait and not no_running_container(self.state.read(REPORT_STATE)):
            log.info("the stack runs: its containers go to level %d", self.level)
            self._apply(settings_for(resources, self.level))
        self._follow_helper()
        settings = settings_for(resources, self.level)
        reason = "cpu" if cpu_smoothed >= memory_smoothed else "memory"
        over = load > resources["hard_limit_percent"]
        summary = (
            f"level {self.level}: {reason} {load:.0f} % (cpu {cpu_smoothed:.0f} %, "
            f"ram {memory_smoothed:.0f} %), pace {settings.shipping_pace}"
        )
        if self.containers_wait:
            summary += f"; container limits wait for the stack: {self.containers_wait}"
        return self.publish(
            summary,
            healthy=not over,
            level=self.level,
            reason=reason,
            load_percent=round(load, 1),
            cpu_percent=round(cpu_smoothed, 1),
            cpu_per_core_percent=[round(value, 1) for value in per_core],
            memory_percent=round(memory_smoothed, 1),
            hard_limit_percent=resources["hard_limit_percent"],
            over_hard_limit=over,
            shipping_pace=settings.shipping_pace,
            actions=self.action_results,
            action_failures_total=self.action_failures_total,
        )

    def _guard_ramdisk(self) -> None:
        """Keep the RAM disk under its high-water mark; publish what that cost."""
        ramdisk = self.config["ramdisk"]
        mount_point = Path(ramdisk["mount_point"])
        if not mount_point.is_dir():
            return
        try:
            prune_alerts(mount_point, time.time())
            enforce(mount_point, ramdisk["high_water_percent"], self.ramdisk)
            usage = usage_ratio(mount_point)
        except OSError as error:
            self._note_failure("ramdisk", f"failed: {error}")
            return
        self.state.write(
            "ramdisk",
            {
                "lost_bytes_total": self.ramdisk.lost_bytes_total,
                "lost_events_total": self.ramdisk.lost_events_total,
                "dropped_files_total": self.ramdisk.dropped_files_total,
                "usage_ratio": round(usage, 4),
            },
        )

    def _note_failure(self, target: str, result: str) -> None:
        self.action_failures_total += 1
        if result not in self._logged_failures:  # each distinct failure once
            self._logged_failures.add(result)
            log.warning("throttle action on %s %s", target, result)

    def _apply(self, settings: LevelSettings) -> None:
        """The level's actions; the containers' only where the latest stack report shows
        one running (ids2-stack-limits@ would fail and stay failed), else they wait."""
        assert self.actions is not None
        self.requested_at = time.time()
        self.containers_wait = no_running_container(self.state.read(REPORT_STATE))
        self.action_results = self.actions.apply(settings, containers=not self.containers_wait)
        if self.containers_wait:
            self.action_results["stack"] = f"waiting: {self.containers_wait}"
        self._note_failures(self.action_results)

    def _note_failures(self, results: dict[str, str]) -> None:
        for target, result in results.items():
            if result.startswith("failed"):
                self._note_failure(target, result)

    def _follow_helper(self) -> None:
        """Fold in the container-limits helper's results, once per run, when it ran after
        the last request; when a run for another level finished after it (two level changes
        in quick succession), ask for the current level again so the last word is ours."""
        helper = self.state.read(LIMITS_STATE)
        if helper is None or helper.updated_at < self.requested_at:
            return  # not asked yet, or still at work
        if helper.updated_at == self.helper_seen_at:
            return
        self.helper_seen_at = helper.updated_at
        if helper.data.get("level") != self.level:
            self._apply(settings_for(self.config["resources"], self.level))
            return
        results = {str(k): str(v) for k, v in (helper.data.get("results") or {}).items()}
        self.action_results = {**self.action_results, **results}
        self._note_failures(results)
