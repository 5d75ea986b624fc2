"""A private rootful podman serving the Docker Engine API on a unix socket, for the engine tests.

Everything this podman keeps lives under one temporary directory: its containers.conf and
storage.conf, graphroot, runroot, network definitions, the socket and the service's log, so
the tests share no images or containers with anything else on the machine. The service runs
in a network namespace of its own: the bridges, iptables rules and ip_forward that netavark
sets up, and the ports the stack publishes or listens on with the host's network (Prometheus
on 9090, Grafana), all stay inside it. Only the unix socket crosses over.

The configuration is what these machines need (Debian 12, root without CAP_SYS_RESOURCE,
hybrid cgroup v1, no systemd): runc (crun refuses hybrid cgroups), cgroupfs, a file events
logger, and default ulimits no higher than this process's own hard limits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import psutil
import requests

from ids2.deploy.engine import containers_conf as podman_containers_conf

# The Docker Engine API version podman 4.3 serves; pinned so a client never has to guess.
API_VERSION = "1.41"
LIBPOD_API = "/v4.0.0/libpod"
CLIENT_TIMEOUT_SECONDS = 120
SERVICE_LOG = "service.log"


class EngineError(Exception):
    """podman failed to start or to stop cleanly; the message carries its output."""


@dataclass
class Engine:
    """A running podman service, its network namespace and a docker SDK client."""

    root: Path
    namespace: str
    process: subprocess.Popen[bytes]
    client: docker.DockerClient

    @property
    def environment(self) -> dict[str, str]:
        return engine_environment(self.root)

    @property
    def docker_host(self) -> str:
        return self.environment["DOCKER_HOST"]

    def new_client(self) -> docker.DockerClient:
        """Another client on the same socket, for another thread."""
        return client_for(self.docker_host)

    def in_namespace(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command in the engine's network namespace (to reach what listens there)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.namespace, *command],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


def engine_environment(root: Path) -> dict[str, str]:
    """This process's environment with DOCKER_HOST and podman's files pointing into `root`."""
    return {
        **os.environ,
        "DOCKER_HOST": f"unix://{root}/podman.sock",
        "CONTAINERS_CONF": str(root / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(root / "storage.conf"),
    }


def client_for(docker_host: str) -> docker.DockerClient:
    """A docker SDK client pinned to the API version podman serves."""
    return docker.DockerClient(
        base_url=docker_host, version=API_VERSION, timeout=CLIENT_TIMEOUT_SECONDS
    )


def containers_conf(root: Path) -> str:
    """containers.conf for a private rootful podman under `root`: what `ids2 up` gives its
    own podman, with its temporary files and networks kept under `root` too."""
    return podman_containers_conf(
        {"tmp_dir": f"{root}/tmp"}, f'network_config_dir = "{root}/networks"\n'
    )


def storage_conf(root: Path) -> str:
    """storage.conf giving the engine its own graphroot and runroot under `root`."""
    return f'[storage]\ndriver = "overlay"\ngraphroot = "{root}/storage"\nrunroot = "{root}/run"\n'


def start_engine(timeout: float = 60) -> Engine:
    """Start `podman system service` in a new network namespace on a socket in a new
    temporary directory, and wait until it answers `_ping`.

    Raises EngineError with the service's output when it exits or does not answer within
    `timeout` seconds; nothing is left running then.
    """
    root = Path(tempfile.mkdtemp(prefix="ids2-engine-"))
    namespace = f"ids2e-{uuid.uuid4().hex[:8]}"
    (root / "containers.conf").write_text(containers_conf(root))
    (root / "storage.conf").write_text(storage_conf(root))
    subprocess.run(["ip", "netns", "add", namespace], check=True, capture_output=True)
    subprocess.run(
        ["ip", "-n", namespace, "link", "set", "lo", "up"], check=True, capture_output=True
    )
    environment = engine_environment(root)
    with (root / SERVICE_LOG).open("wb") as log:
        # nsenter joins the network namespace only; `ip netns exec` would also give the
        # service a mount namespace of its own, hiding its mounts from us.
        service = ["podman", "system", "service", "--time=0", environment["DOCKER_HOST"]]
        process = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{namespace}", *service],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    engine = Engine(root, namespace, process, client_for(environment["DOCKER_HOST"]))
    try:
        _wait_for_ping(engine, timeout)
    except BaseException:
        stop_engine(engine)
        raise
    return engine


def _wait_for_ping(engine: Engine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(docker.errors.DockerException, requests.ConnectionError):
            if engine.client.ping():
                return
        returncode = engine.process.poll()
        if returncode is not None or time.monotonic() > deadline:
            state = "did not answer" if returncode is None else f"exited {returncode}"
            raise EngineError(f"podman system service {state}:\n{service_output(engine)}")
        time.sleep(0.1)


def service_output(engine: Engine, limit: int = 5000) -> str:
    """The end of the service's log."""
    with contextlib.suppress(OSError):
        return (engine.root / SERVICE_LOG).read_text(errors="replace")[-limit:]
    return ""


def stop_engine(engine: Engine) -> None:
    """Remove every container, stop the service and every process that still names its
    directory (conmon, aardvark-dns, cleanup), by PID; unmount and delete the directory and
    the network namespace. Raises EngineError when something stayed mounted."""
    if engine.process.poll() is None:
        with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
            for container in engine.client.containers.list(all=True):
                container.remove(force=True, v=True)
    engine.client.close()
    terminate([psutil.Process(engine.process.pid)] if engine.process.poll() is None else [])
    engine.process.wait()
    terminate(processes_naming(engine.root))
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{engine.root}/")), reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", engine.namespace], capture_output=True, check=False)
    try:
        shutil.rmtree(engine.root)
    except OSError as error:
        raise EngineError(f"could not delete {engine.root}: {error}") from None


def processes_naming(root: Path) -> list[psutil.Process]:
    """Processes other than this one whose command line names a path under `root`."""
    prefix = f"{root}/"
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if process.pid != os.getpid() and any(prefix in argument for argument in command):
            found.append(process)
    return found


def reap_finished_exec_monitors(engine: Engine) -> None:
    """Kill the conmon processes of exec sessions (health checks) whose command has ended.

    podman keeps each for 5 minutes after its command exits; a health check every second
    would pile up hundreds. A session has ended once podman removed its bundle directory
    (conmon's -b argument).
    """
    finished = []
    for process in processes_naming(engine.root):
        with contextlib.suppress(psutil.Error):
            command = process.cmdline()
            if process.name() != "conmon" or "--exec-process-spec" not in command:
                continue
            if "-b" in command and not Path(command[command.index("-b") + 1]).exists():
                finished.append(process)
    terminate(finished, grace=0)


def terminate(processes: list[psutil.Process], grace: float = 10) -> None:
    """SIGTERM the processes and their descendants (children first), wait up to `grace`
    seconds, then SIGKILL whatever is left; grace 0 kills at once."""
    everything: list[psutil.Process] = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            everything.extend(reversed(process.children(recursive=True)))
        everything.append(process)
    for process in everything:
        with contextlib.suppress(psutil.Error):
            process.terminate() if grace else process.kill()
    _, alive = psutil.wait_procs(everything, timeout=grace or 5)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)


def gone_meanwhile(error: docker.errors.APIError) -> bool:
    """Whether podman's 500 means the container exited or was removed while it was asked
    about: "read /proc/PID/cgroup: no such process" for one that exited between a listing
    and an inspect (a crash, or a restart under way), "does not exist in database: no such
    container" for one removed meanwhile (compose down), rather than a 404."""
    return "no such process" in str(error) or "no such container" in str(error)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `condition` every 0.2 s until it is true; the seconds that took.
    AssertionError naming `what` after `timeout` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started
