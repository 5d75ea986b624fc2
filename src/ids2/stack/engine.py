"""Read-only look at the stack's containers over the Docker Engine API's unix socket.

The socket is root on the host, so no long-running controller opens it: the root oneshot
`ids2 stack-report` (ids2-stack-report.timer, every minute) and the deploy write the report
to a state file, and the metrics controller publishes what it reads there. The docker SDK
(requests, urllib3, docker) would cost each run of that oneshot about 15 MB and a slower
start for two GET requests, so this reader speaks them with the standard library;
everything that changes containers stays with StackManager and the SDK.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ids2.stack.cgroup import cgroup_directories
from ids2.stack.compose import PROJECT_LABEL, SERVICE_LABEL, ServiceState, StackError
from ids2.stack.report import REPORT_STATE
from ids2.state import StateStore

DEFAULT_SOCKET = Path("/var/run/docker.sock")
API_VERSION = "v1.41"  # served by Docker >= 20.10 and by podman 4


def engine_socket() -> Path:
    """The engine's unix socket: $DOCKER_HOST when it names one, else Docker's default."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return DEFAULT_SOCKET
    if not host.startswith("unix://"):
        raise StackError(f"DOCKER_HOST={host!r}: only unix:// sockets are read here")
    return Path(host.removeprefix("unix://"))


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


def _get(path: Path, url: str, timeout: float) -> Any:
    connection = _UnixConnection(path, timeout)
    try:
        connection.request("GET", f"/{API_VERSION}{url}")
        response = connection.getresponse()
        body = response.read()
    except OSError as error:  # refused, missing socket, permission, timeout
        raise StackError(f"no Docker engine answers on {path}: {error}") from None
    finally:
        connection.close()
    if response.status != 200:
        raise StackError(f"engine answered {response.status} to GET {url}: {body[:200]!r}")
    return json.loads(body)


def stack_states(project: str, timeout: float = 2.0) -> dict[str, ServiceState]:
    """Each service of the compose project as the engine reports it; StackError if none answers."""
    path = engine_socket()
    filters = quote(json.dumps({"label": [f"{PROJECT_LABEL}={project}"]}))
    states = {}
    for summary in _get(path, f"/containers/json?all=1&filters={filters}", timeout):
        service = (summary.get("Labels") or {}).get(SERVICE_LABEL) or summary["Id"][:12]
        attrs = _get(path, f"/containers/{summary['Id']}/json", timeout)
        states[service] = ServiceState.from_inspect(service, attrs)
    return states


def stack_report(project: str) -> dict[str, Any]:
    """Each service's status, health, health-and-running verdict, restart count and the
    cgroup directories of its running container, or why the engine could not be read: what
    `ids2 status` and ids2_stack_* show, and where ids2_container_* are read."""
    try:
        states = stack_states(project)
    except StackError as error:
        return {"error": str(error)}
    return {
        "services": {
            name: {
                "status": state.status,
                "health": state.health,
                "ok": state.ok,
                "restart_count": state.restart_count,
                "cgroup": cgroup_directories(state.pid) if state.pid else {},
            }
            for name, state in sorted(states.items())
        }
    }


def write_report(store: StateStore, project: str) -> dict[str, Any]:
    """The stack report, written to `store` for the metrics controller and `ids2 status`."""
    report = stack_report(project)
    store.write(REPORT_STATE, report)
    return report
