"""A Docker-API engine for `ids2 up` (`make run`) where none answers yet.

`make deps` installs podman from Debian; this makes it serve the Docker Engine API the stack
manager, the compose CLI and the image checks speak. With systemd as PID 1 that is a socket
unit (docker.io's docker.socket, else podman.socket on /run/podman/podman.sock). Without
systemd (a container, a build machine) `ids2 up` runs `podman system service` itself for its
own lifetime, configured for such machines: runc (crun refuses hybrid cgroups), cgroupfs
and a file events logger (no systemd), netavark, and default ulimits no higher than this
process's hard limits (root without CAP_SYS_RESOURCE cannot raise them).
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ids2.stack.compose import StackError
from ids2.stack.engine import DEFAULT_SOCKET, engine_socket
from ids2.system.units import systemd_is_running

PODMAN_SOCKET = Path("/run/podman/podman.sock")
# Socket units that serve the Docker API, in order of preference, and where they listen.
SOCKET_UNITS = (("docker.socket", DEFAULT_SOCKET), ("podman.socket", PODMAN_SOCKET))
UNIT_DIRECTORIES = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
SERVICE_LOG = "podman-service.log"
CONTAINERS_CONF = "podman-containers.conf"
START_TIMEOUT_SECONDS = 30.0


def answers(path: Path, timeout: float = 2.0) -> bool:
    """Whether an engine on the unix socket `path` answers the Docker API's `_ping`."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(str(path))
            connection.sendall(b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")
            reply = connection.recv(64)
    except OSError:
        return False
    return reply.split(b" ", 2)[1:2] == [b"200"]


def containers_conf(engine: Mapping[str, str] | None = None, network: str = "") -> str:
    """containers.conf for a rootful podman on a machine without systemd as PID 1; `engine`
    adds keys to its [engine] table, `network` lines to its [network] table."""
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
    keys = {"runtime": "runc", "cgroup_manager": "cgroupfs", "events_logger": "file"}
    keys.update(engine or {})
    return (
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        "\n[engine]\n"
        + "".join(f'{key} = "{value}"\n' for key, value in keys.items())
        + '\n[network]\nnetwork_backend = "netavark"\n'
        + network
    )


class LocalEngine:
    """The engine `ids2 up` uses: one that answers, a socket unit systemd starts, or a
    podman service of its own that stop() ends. start() points DOCKER_HOST at it, for this
    process and the children it starts."""

    def __init__(
        self,
        runtime: Path,
        which: Callable[[str], str | None] = shutil.which,
        systemd: Callable[[], bool] = systemd_is_running,
    ) -> None:
        self.runtime = runtime
        self.which = which
        self.systemd = systemd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Find or start an engine; what it is. StackError says why there is none."""
        path = engine_socket()
        if answers(path):
            return f"the engine on {path}"
        chosen = bool(os.environ.get("DOCKER_HOST"))
        if self.systemd() and not chosen:
            for unit, unit_socket in SOCKET_UNITS:
                if self._start_unit(unit, unit_socket):
                    os.environ["DOCKER_HOST"] = f"unix://{unit_socket}"
                    return f"{unit} on {unit_socket}"
        if self.which("podman") is None:
            raise StackError(
                f"no Docker engine answers on {path} and podman is not installed "
                "(sudo make deps installs it)"
            )
        own = path if chosen else PODMAN_SOCKET
        self._serve(own)
        os.environ["DOCKER_HOST"] = f"unix://{own}"
        return f"podman system service on {own}, until ids2 up ends"

    def _start_unit(self, unit: str, unit_socket: Path) -> bool:
        if not any((directory / unit).exists() for directory in UNIT_DIRECTORIES):
            return False
        started = subprocess.run(["systemctl", "start", unit], capture_output=True, check=False)
        return started.returncode == 0 and self._wait(unit_socket, lambda: True)

    def _serve(self, path: Path) -> None:
        """`podman system service` on `path` as a child in a session of its own (Ctrl-C
        reaches `ids2 up`, which stops it last); its output goes to a log beside the state."""
        self.runtime.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        environment = dict(os.environ)
        if "CONTAINERS_CONF" not in environment:  # an administrator's choice stays
            conf = self.runtime / CONTAINERS_CONF
            conf.write_text(containers_conf(), encoding="utf-8")
            environment["CONTAINERS_CONF"] = str(conf)
        log_path = self.runtime / SERVICE_LOG
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["podman", "system", "service", "--time=0", f"unix://{path}"],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process
        if not self._wait(path, lambda: process.poll() is None):
            self.stop()
            output = log_path.read_text(errors="replace").strip().splitlines()
            last = output[-1] if output else "no output"
            raise StackError(f"podman system service on {path} did not answer: {last}")

    @staticmethod
    def _wait(path: Path, alive: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while alive() and time.monotonic() < deadline:
            if answers(path):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """End the podman service this started, if any; containers it ran keep running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
