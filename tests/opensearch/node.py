"""One real OpenSearch node on loopback, for the tests and the benchmark.

The distribution comes from fetch.sh (Maven Central, cached by version, with the plugins
asked for installed). The node gets its own directory with its config, data and logs, a free
HTTP port, a 512 MiB heap and single-node discovery. The minimal distribution has no
security plugin: the node speaks plain HTTP to anyone. Given a NodeSecurity
(tests/opensearch/security.py), on a distribution with the security plugin installed, it
speaks TLS with the test CA's certificate and asks for basic auth. OpenSearch refuses to run
as root, so under root the node runs as `nobody`, from a linked copy of the distribution
that user can read.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.opensearch.security import NodeSecurity
from tests.support.ports import free_port

VERSION = os.environ.get("IDS2_OPENSEARCH_VERSION", "2.19.6")
FETCH = Path(__file__).with_name("fetch.sh")
START_TIMEOUT_SECONDS = 180.0
UNPRIVILEGED = ("nobody", "nogroup")


class NodeError(RuntimeError):
    """The distribution could not be fetched, or the node did not come up."""


def fetch(version: str = VERSION, *plugins: str, java: str = "") -> Path:
    """The unpacked distribution's home, with `plugins` (ARTIFACT:VERSION) installed by the
    JDK `java` (else java_home()); raises NodeError with fetch.sh's one line."""
    done = subprocess.run(
        ["sh", str(FETCH), version, *plugins],
        capture_output=True,
        text=True,
        env={**os.environ, "JAVA_HOME": java or java_home()},
    )
    if done.returncode != 0:
        raise NodeError(done.stderr.strip().splitlines()[-1] if done.stderr else "fetch failed")
    return Path(done.stdout.strip())


def java_home(pinned: bool = False) -> str:
    """$IDS2_OPENSEARCH_JAVA_HOME (3.x needs Java 21+; not for a `pinned` version, which
    keeps the default JDK), $JAVA_HOME, else the `java` on PATH."""
    names = ("JAVA_HOME",) if pinned else ("IDS2_OPENSEARCH_JAVA_HOME", "JAVA_HOME")
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    java = shutil.which("java")
    if java is None:
        raise NodeError("no java on PATH: OpenSearch needs a JDK (17 for 2.19, 21+ for 3.x)")
    return str(Path(java).resolve().parents[1])


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


class OpenSearchNode:
    """start() / stop() (keeping the data, so it can start again) / remove()."""

    def __init__(
        self,
        home: Path,
        settings: dict[str, Any] | None = None,
        security: NodeSecurity | None = None,
        java: str = "",
    ) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="ids2-opensearch-"))
        self.security = security
        self.java = java or java_home()
        self.port = free_port()
        self.settings = {
            "cluster.name": "ids2-test",
            "node.name": "ids2-test",
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",
            "http.port": self.port,
            "transport.port": free_port(),
            "path.data": str(self.directory / "data"),
            "path.logs": str(self.directory / "logs"),
            # A nearly full disk of the test machine must not make the node read-only.
            "cluster.routing.allocation.disk.threshold_enabled": False,
            **(security.settings() if security else {}),
            **(settings or {}),
        }
        self.home = self._readable_home(home)
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    @property
    def url(self) -> str:
        """The node's HTTP endpoint: https on `localhost` (its certificate's name) when
        secured."""
        if self.security is not None:
            return f"https://localhost:{self.port}"
        return f"http://127.0.0.1:{self.port}"

    def _readable_home(self, home: Path) -> Path:
        if os.geteuid() != 0:
            return home
        copy = self.directory / "home"
        shutil.copytree(home, copy, symlinks=True, copy_function=_link_or_copy)
        return copy

    def _write_config(self) -> Path:
        config = self.directory / "config"
        shutil.copytree(self.home / "config", config, dirs_exist_ok=True)
        (config / "opensearch.yml").write_text(
            "".join(f"{key}: {json.dumps(value)}\n" for key, value in self.settings.items())
        )
        for name in ("data", "logs"):
            (self.directory / name).mkdir(exist_ok=True)
        # The launcher runs in the distribution's home: keep GC logs and dumps out of it.
        options = config / "jvm.options"
        options.write_text(
            options.read_text()
            .replace("logs/", f"{self.directory}/logs/")
            .replace("HeapDumpPath=data", f"HeapDumpPath={self.directory}/data")
        )
        if self.security is not None:
            self.security.write(config, self.home, self.java)
        if os.geteuid() == 0:
            owned = [self.directory / "data", self.directory / "logs", config, *config.rglob("*")]
            for path in (self.directory, *owned):
                shutil.chown(path, *UNPRIVILEGED)
        return config

    def start(self) -> OpenSearchNode:
        """Start and wait for yellow or green health; raises NodeError with the log's tail."""
        config = self._write_config()
        environment = {
            **os.environ,
            "JAVA_HOME": self.java,
            "OPENSEARCH_PATH_CONF": str(config),
            "OPENSEARCH_JAVA_OPTS": "-Xms512m -Xmx512m",
        }
        environment.pop("OPENSEARCH_JAVA_HOME", None)
        privileges: dict[str, Any] = {}
        if os.geteuid() == 0:
            privileges = {"user": UNPRIVILEGED[0], "group": UNPRIVILEGED[1], "extra_groups": []}
        started = time.monotonic()
        with (self.directory / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                [str(self.home / "bin/opensearch")],
                cwd=self.directory,
                env=environment,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **privileges,
            )
        self._wait_healthy(started + START_TIMEOUT_SECONDS)
        self.start_seconds = time.monotonic() - started
        return self

    def _wait_healthy(self, deadline: float) -> None:
        health = urllib.request.Request(
            f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        )
        context: ssl.SSLContext | None = None
        if self.security is not None:
            health.add_header("Authorization", self.security.authorization())
            context = self.security.client_context()
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise NodeError(f"OpenSearch exited with {self.process.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(health, timeout=5, context=context) as answer:
                    if json.load(answer)["status"] in ("yellow", "green"):
                        return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise NodeError(
            f"OpenSearch not healthy after {START_TIMEOUT_SECONDS:.0f} s: {self.tail()}"
        )

    def tail(self, lines: int = 5) -> str:
        """The last lines the node printed, to say why it failed."""
        console = self.directory / "console.log"
        text = console.read_text(errors="replace") if console.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the node (SIGTERM, then SIGKILL after 30 s); its data stays."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def remove(self) -> None:
        """Stop the node and delete its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def running_node(settings: dict[str, Any] | None = None) -> Iterator[OpenSearchNode]:
    """A started node of the pinned version, removed afterwards; raises NodeError."""
    node = OpenSearchNode(fetch(), settings)
    try:
        yield node.start()
    finally:
        node.remove()
