"""Runs the containers' health checks, which podman leaves to systemd timers (absent here).

Without it a container's health stays "starting" for ever, so compose's `depends_on:
condition: service_healthy` never lets Vector start and StackManager.wait_healthy() never
returns. The pump does what the timers would, from a thread, through podman's API (the call
behind `podman healthcheck run ID`): a container still "starting" is checked on every tick,
so gated services start within a second or two rather than a whole check interval; after
that at the container's own interval. Each tick also reaps the conmon processes that podman
keeps for 5 minutes after each check.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import docker
import requests

from tests.engine.engine import LIBPOD_API, Engine, gone_meanwhile, reap_finished_exec_monitors

NANOSECONDS = 1e9


class HealthPump:
    """A context manager that runs health checks in a background thread while it is open;
    `errors` collects failed API calls (a test asserts there are none)."""

    def __init__(self, engine: Engine, tick: float = 0.5) -> None:
        self.engine = engine
        self.tick = tick
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="health-pump", daemon=True)
        self._due: dict[str, float] = {}
        self._api = engine.new_client().api

    def __enter__(self) -> HealthPump:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._api.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self._run_due_checks()
            except (docker.errors.DockerException, requests.RequestException) as error:
                self.errors.append(str(error))

    def _run_due_checks(self) -> None:
        now = time.monotonic()
        for summary in self._api.containers(filters={"status": "running"}):
            container = summary["Id"]
            try:
                attributes = self._api.inspect_container(container)
            except docker.errors.NotFound:
                continue
            except docker.errors.APIError as error:
                if gone_meanwhile(error):
                    continue
                raise
            check = attributes["Config"].get("Healthcheck") or {}
            if (check.get("Test") or ["NONE"])[0] == "NONE":
                continue
            # "starting" again after a restart: check now, not at the old due time.
            starting = attributes["State"].get("Health", {}).get("Status") == "starting"
            if not starting and now < self._due.get(container, 0):
                continue
            status = self._run_check(container)
            interval = (check.get("Interval") or 30 * NANOSECONDS) / NANOSECONDS
            if status is not None:
                self._due[container] = now + (self.tick if status == "starting" else interval)
        reap_finished_exec_monitors(self.engine)

    def _run_check(self, container: str) -> str | None:
        """The health status after one check; None when the container stopped meanwhile."""
        url = f"{self._api.base_url}{LIBPOD_API}/containers/{container}/healthcheck"
        response = self._api.get(url)
        if response.status_code in (404, 409) or "state improper" in response.text:
            return None  # gone, or stopped since it was listed
        if "healthcheck.log: no such file or directory" in response.text:
            return None  # removed (compose down) while its check ran
        if "unable to find event" in response.text:
            # podman 4.3 reads the check's exit code back from its events file and, under
            # load, sometimes looks before the "exec died" event is written: the check ran,
            # its result is unknown. Run it again on the next tick.
            return None
        if not response.ok:
            raise docker.errors.APIError(
                f"health check of {container[:12]}: {response.status_code} {response.text.strip()}"
            )
        status: str = response.json()["Status"]
        return status
