"""Finding the engine `ids2 up` uses: one that answers is used; with systemd, a socket unit
it starts; none, and no podman to start, is one clear line. (Starting podman for real is
the engine suite's test_up.)"""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.deploy.engine import LocalEngine, answers, containers_conf
from ids2.stack.compose import StackError
from tests.support.fake_command import recording_command


def answer_ping(path: Path) -> threading.Thread:
    """Listen on the unix socket `path` and answer one request the way an engine answers
    `_ping`, in a thread that then closes it."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        with server:
            connection, _ = server.accept()
            with connection:
                connection.recv(1024)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def pinging(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that answers one request the way an engine answers `_ping`."""
    path = tmp_path / "engine.sock"
    thread = answer_ping(path)
    yield path
    thread.join(timeout=5)


def test_an_engine_that_answers_is_used(
    pinging: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pinging}")
    engine = LocalEngine(tmp_path / "run", which=lambda _: None, systemd=lambda: False)
    assert engine.start() == f"the engine on {pinging}"
    engine.stop()  # started nothing: nothing to stop


def test_no_engine_and_no_podman_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    engine = LocalEngine(tmp_path / "run", which=lambda _: None, systemd=lambda: False)
    with pytest.raises(StackError) as raised:
        engine.start()
    assert str(raised.value) == (
        f"no Docker engine answers on {tmp_path}/absent.sock and podman is not installed "
        "(sudo make deps installs it)"
    )


def test_a_socket_nobody_serves_does_not_answer(tmp_path: Path) -> None:
    assert not answers(tmp_path / "absent.sock")
    (tmp_path / "file.sock").write_text("")
    assert not answers(tmp_path / "file.sock")


def test_podman_is_configured_within_the_limits_of_this_process() -> None:
    conf = containers_conf({"tmp_dir": "/x/tmp"}, 'network_config_dir = "/x/networks"\n')
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert f'"nofile={nofile}:{nofile}"' in conf
    assert 'runtime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' in conf
    assert 'tmp_dir = "/x/tmp"\n' in conf
    assert tomllib.loads(conf)["engine"]["runtime"] == "runc"
    assert conf.endswith(
        '[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "/x/networks"\n'
    )


def test_with_systemd_the_first_socket_unit_that_starts_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd as PID 1 and no engine answering: docker.socket is asked for first, and
    when systemctl cannot start it, podman.socket, whose socket then answers. systemctl
    is a script on PATH that records its arguments; podman is never started."""
    units = tmp_path / "units"
    units.mkdir()
    for unit in ("docker.socket", "podman.socket"):
        (units / unit).write_text("[Socket]\n")
    docker, podman = tmp_path / "docker.sock", tmp_path / "podman" / "podman.sock"
    calls = recording_command(
        tmp_path, monkeypatch, "systemctl", '[ "$2" = podman.socket ] || exit 5'
    )
    monkeypatch.setenv("DOCKER_HOST", "")  # none chosen; restored after the test
    monkeypatch.setattr("ids2.stack.engine.DEFAULT_SOCKET", docker)
    monkeypatch.setattr(
        "ids2.deploy.engine.SOCKET_UNITS", (("docker.socket", docker), ("podman.socket", podman))
    )
    monkeypatch.setattr("ids2.deploy.engine.UNIT_DIRECTORIES", (units,))

    def socket_activation() -> None:
        """What systemd does once the unit started: the socket exists and answers."""
        while "podman.socket" not in (calls.read_text() if calls.exists() else ""):
            time.sleep(0.05)
        podman.parent.mkdir()
        answer_ping(podman).join(timeout=5)

    activation = threading.Thread(target=socket_activation, daemon=True)
    activation.start()
    engine = LocalEngine(tmp_path / "run", which=lambda _: None, systemd=lambda: True)
    assert engine.start() == f"podman.socket on {podman}"
    activation.join(timeout=5)
    assert calls.read_text() == "start docker.socket\nstart podman.socket\n"
    assert os.environ["DOCKER_HOST"] == f"unix://{podman}"
    assert engine.process is None  # nothing of its own to stop
