"""The standard-library reader of the engine: where it looks and how it fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ids2.stack.compose import ServiceState, StackError
from ids2.stack.engine import DEFAULT_SOCKET, engine_socket, stack_states


def test_the_socket_comes_from_docker_host_or_dockers_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert engine_socket() == DEFAULT_SOCKET
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/podman/podman.sock")
    assert engine_socket() == Path("/run/podman/podman.sock")
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
    with pytest.raises(StackError, match="only unix:// sockets"):
        engine_socket()


def test_no_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    with pytest.raises(StackError, match=r"no Docker engine answers on .*absent\.sock"):
        stack_states("ids2")


def test_a_socket_that_never_answers_times_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen()
        monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
        with pytest.raises(StackError, match="timed out"):
            stack_states("ids2", timeout=0.2)


def test_inspect_documents_give_status_health_restarts_and_cpus() -> None:
    attrs = {
        "State": {"Status": "running", "Health": {"Status": "unhealthy"}},
        "HostConfig": {"NanoCpus": 0, "CpuQuota": 50_000},
        "RestartCount": 3,
    }
    state = ServiceState.from_inspect("vector", attrs)
    assert fields(state) == ("vector", "running", "unhealthy", 3, 0.5)
    assert not state.ok
    bare = ServiceState.from_inspect("redis", {"State": {"Status": "exited"}})
    assert fields(bare) == ("redis", "exited", "none", 0, None)


def fields(state: ServiceState) -> tuple[str, str, str, int, float | None]:
    return (state.service, state.status, state.health, state.restart_count, state.cpus)
