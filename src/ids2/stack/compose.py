"""The Docker stack (Vector, Redis, Prometheus, Grafana): up, down, health, restarts, limits.

Bringing the stack up and down goes through the compose CLI, which owns the file format;
everything else (state, health, restarts, CPU limits, stats) goes through the Docker API
with the docker SDK, imported only here and only when needed.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ids2 import TYPE_CHECKING
from ids2.errors import Ids2Error

if TYPE_CHECKING:
    from typing import Any

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CPU_PERIOD_USEC = 100_000
# podman serves Docker's API but not its container update endpoint; this is its own.
LIBPOD_UPDATE = "/v4.0.0/libpod/containers/{id}/update"


class StackError(Ids2Error):
    """The engine, the compose CLI or a container did not do what was asked."""


class ServiceState:
    """One service's container as the engine reports it.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("cpus", "health", "pid", "restart_count", "service", "status")

    def __init__(
        self,
        service: str,
        status: str,  # created, running, exited, ...
        health: str,  # healthy, unhealthy, starting, none
        restart_count: int,
        cpus: float | None,
        pid: int = 0,  # the main process's on the host; 0 when it does not run
    ) -> None:
        self.service = service
        self.status = status
        self.health = health
        self.restart_count = restart_count
        self.cpus = cpus
        self.pid = pid

    @property
    def ok(self) -> bool:
        return self.status == "running" and self.health in ("healthy", "none")

    @classmethod
    def from_inspect(cls, service: str, attrs: dict[str, Any]) -> ServiceState:
        """Read one container's inspect document (the Docker API's, which podman serves too)."""
        state = attrs.get("State") or {}
        health = (state.get("Health") or {}).get("Status") or "none"
        host = attrs.get("HostConfig") or {}
        quota, nano = host.get("CpuQuota") or 0, host.get("NanoCpus") or 0
        cpus = nano / 1e9 if nano else (quota / CPU_PERIOD_USEC if quota > 0 else None)
        status = str(state.get("Status") or "unknown")
        restarts, pid = int(attrs.get("RestartCount") or 0), int(state.get("Pid") or 0)
        return cls(service, status, health, restarts, cpus, pid)


def compose_command() -> list[str]:
    """`docker-compose` (Debian's package) or the `docker compose` plugin."""
    # Imported here: shutil brings bz2 and lzma, 0.2 MB (measured) that the resource
    # controller, which imports this module for CPU limits only, would keep for good.
    import shutil

    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        return ["docker", "compose"]
    raise StackError("neither docker-compose nor the docker compose plugin is installed")


def compose_errors(stderr: str) -> str:
    """compose's own error lines, once each, without its progress output; else its tail.

    v1 starts them with "ERROR: " and repeats each per container and per service
    ("ERROR: for ids2_redis_1  Cannot create container ...", "ERROR: for redis  Cannot ...");
    v2 indents its progress lines (" redis Pulling") and not its errors.
    """
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = []
    if any(line.startswith("ERROR: ") for line in lines):
        for line in lines:
            if line.startswith("ERROR: "):
                text = line.removeprefix("ERROR: ").strip()
                if text.startswith("for ") and "  " in text:
                    text = text.split("  ", 1)[1]
                errors.append(text)
    else:
        errors = [line.strip() for line in lines if not line[0].isspace()]
    return "; ".join(dict.fromkeys(errors)) or stderr.strip()[-2000:]


def remove_by_force(container: Any, attempts: int = 3, pause: float = 1.0) -> None:
    """Remove a container, running or not; gone already is fine.

    A container in a crash loop can change state while the engine kills it, and podman
    then refuses ("container state improper: stopped"): the engine is asked again, up to
    `attempts` times, before StackError says why.
    """
    import docker

    for attempt in range(1, attempts + 1):
        try:
            container.remove(force=True)
            return
        except docker.errors.NotFound:
            return  # removed meanwhile
        except docker.errors.APIError as error:
            if attempt == attempts:
                raise StackError(f"cannot remove {container.name}: {error}") from None
            time.sleep(pause)
        except docker.errors.DockerException as error:
            raise StackError(f"cannot remove {container.name}: {error}") from None


class StackManager:
    """Drives one compose project through the compose CLI and the Docker API."""

    def __init__(
        self, compose_files: Sequence[Path], project: str, env_file: Path | None = None
    ) -> None:
        self.compose_files = list(compose_files)
        self.project = project
        self.env_file = env_file
        self._client: Any = None
        self._podman: bool | None = None

    def client(self) -> Any:
        """A connected docker SDK client; a clear StackError when no engine answers."""
        if self._client is None:
            import docker  # heavy: only processes that manage the stack pay for it

            try:
                client = docker.from_env(timeout=20)
                client.ping()
            except docker.errors.DockerException as error:
                raise StackError(f"no Docker engine answers: {error}") from None
            self._client = client
        return self._client

    def _compose(self, *args: str, timeout: float = 600) -> str:
        command = [*compose_command(), "--compatibility", "-p", self.project]
        for compose_file in self.compose_files:
            command += ["-f", str(compose_file)]
        if self.env_file is not None:
            command += ["--env-file", str(self.env_file)]
        try:
            result = subprocess.run(
                [*command, *args], capture_output=True, text=True, check=False, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise StackError(f"compose {args[0]} took longer than {timeout:.0f} s") from None
        if result.returncode != 0:
            raise StackError(f"compose {args[0]} failed: {compose_errors(result.stderr)}")
        return result.stdout

    def validate(self) -> None:
        """`compose config -q`: the file and its variables are valid."""
        self._compose("config", "-q", timeout=60)

    def up(self) -> None:
        """Create or update every service; unchanged containers are left running."""
        self.client()
        self._compose("up", "-d", "--remove-orphans")

    def remove(self, services: Sequence[str]) -> None:
        """Stop and remove these services' containers: the ones the config disabled, which
        `up` leaves alone once they are out of the active profiles."""
        if services:
            self._compose("rm", "--stop", "--force", *services, timeout=120)

    def down(self) -> None:
        """Stop and remove the containers; named volumes (Redis data, TSDB) stay.

        A service in a crash loop can be started again by its restart policy between
        compose's stop and its remove, and then its network cannot go: such leftovers are
        removed by force through the API and compose is asked once more.
        """
        try:
            self._compose("down", "--remove-orphans", timeout=300)
        except StackError:
            for container in self._containers().values():
                remove_by_force(container)
            self._compose("down", "--remove-orphans", timeout=300)

    def _containers(self) -> dict[str, Any]:
        import docker

        try:
            containers = self.client().containers.list(
                all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"}
            )
        except docker.errors.DockerException as error:
            raise StackError(f"cannot list the stack's containers: {error}") from None
        return {c.labels.get(SERVICE_LABEL, c.name): c for c in containers}

    def states(self) -> dict[str, ServiceState]:
        """Every service's state, health, restart count and CPU limit."""
        states = {}
        for service, container in self._containers().items():
            container.reload()
            states[service] = ServiceState.from_inspect(service, container.attrs)
        return states

    def wait_healthy(self, timeout: float, poll: float = 1.0) -> dict[str, ServiceState]:
        """Wait until every service runs and is healthy, and stays so between two polls
        without restarting (a service without a health check in a crash loop runs most of
        the time).

        StackError names the laggards, with their restart counts and last log line, so a
        service that crashes on a bad setting says why.
        """
        deadline = time.monotonic() + timeout
        restarts: dict[str, int] = {}
        while True:
            states = self.states()
            waiting = {
                name: s
                for name, s in states.items()
                if not s.ok or restarts.get(name, s.restart_count) != s.restart_count
            }
            if states and restarts and not waiting:
                return states
            restarts = {name: s.restart_count for name, s in states.items()}
            if time.monotonic() >= deadline:
                detail = "; ".join(self._lagging(s) for s in waiting.values())
                raise StackError(f"not healthy after {timeout:.0f} s: {detail or 'no services'}")
            time.sleep(poll)

    def _lagging(self, state: ServiceState) -> str:
        import docker

        text = f"{state.service} {state.status}/{state.health}"
        if state.restart_count:
            text += f", restarted {state.restart_count} times"
        try:
            logs = self._container(state.service).logs(tail=1).decode(errors="replace").strip()
        except docker.errors.DockerException:
            logs = ""
        return f"{text}, last log line: {logs[-300:]}" if logs else text

    def restart(self, service: str) -> None:
        """Restart one service's container."""
        self._call(service, "restart", timeout=20)

    def set_cpu_limit(self, service: str, cpus: float) -> None:
        """Change a running container's CPU limit in place (no restart).

        Docker takes it through its update endpoint. podman (4.3) has none and takes it
        through its own: the cgroup changes at once, but inspect (and so states()) keeps
        reporting the limit the container was created with, and a restart restores that.
        """
        quota = max(int(cpus * CPU_PERIOD_USEC), 1000)
        if not self._is_podman():
            self._call(service, "update", cpu_period=CPU_PERIOD_USEC, cpu_quota=quota)
            return
        api = self.client().api
        url = api.base_url + LIBPOD_UPDATE.format(id=self._container(service).id)
        try:
            response = api.post(url, json={"cpu": {"period": CPU_PERIOD_USEC, "quota": quota}})
        except OSError as error:  # requests' errors derive from it
            raise StackError(f"update of {service} failed: {error}") from None
        if not response.ok:
            raise StackError(f"update of {service} failed: {response.status_code} {response.text}")

    def _is_podman(self) -> bool:
        if self._podman is None:
            components = self.client().version().get("Components") or []
            self._podman = any(c.get("Name") == "Podman Engine" for c in components)
        return self._podman

    def _call(self, service: str, method: str, **arguments: Any) -> None:
        import docker

        try:
            getattr(self._container(service), method)(**arguments)
        except docker.errors.DockerException as error:
            raise StackError(f"{method} of {service} failed: {error}") from None

    def _container(self, service: str) -> Any:
        containers = self._containers()
        if service not in containers:
            known = ", ".join(sorted(containers)) or "none"
            raise StackError(f"no container for service {service!r} (running: {known})")
        return containers[service]
