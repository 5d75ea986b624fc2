"""Finding the engine `ids2 up` uses: one that answers is used; none, and no podman to
start, is one clear line. (Starting podman for real is the engine suite's test_up.)"""

from __future__ import annotations

import resource
import socket
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.deploy.engine import LocalEngine, answers, containers_conf
from ids2.stack.compose import StackError


@pytest.fixture
def pinging(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that answers one request the way an engine answers `_ping`."""
    path = tmp_path / "engine.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    thread.join(timeout=5)
    server.close()


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
