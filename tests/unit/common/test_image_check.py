"""Which check runs where: the host's tool, the service's image, or a note naming both gaps.

The container runs themselves are in tests/engine/test_image_check.py, on a real engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.common import image_check
from ids2.common.image_check import (
    ImageCheck,
    Service,
    check_on_host_or_in_image,
    host_command,
    lacked_image,
    missing_note,
)
from ids2.common.rendered import ValidationError
from ids2.stack.prometheus import check_with_promtool

PROMTOOL = ImageCheck(
    "prometheus",
    "promtool",
    ("check", "config", "--syntax-only", "prometheus.yml"),
    {"prometheus.yml": Path("/var/lib/ids2/rendered/.prometheus.yml.candidate")},
    "promtool check config",
)


def test_image_user_and_mount_points_come_from_the_compose_file() -> None:
    prometheus = Service.from_compose("prometheus")
    assert prometheus.image == "docker.io/prom/prometheus:v2.53.2"
    assert prometheus.user is None  # the image's own
    assert prometheus.mount_points["prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    alertmanager = Service.from_compose("alertmanager")
    assert alertmanager.user == "0:0"  # alertmanager.yml is 0600
    assert alertmanager.mount_points["ids2.tmpl"] == "/etc/alertmanager/ids2.tmpl"
    vector = Service.from_compose("vector")
    assert vector.mount_points["vector"] == "/etc/vector/vrl"  # ${IDS2_STACK_DIR:?...}/vector
    assert vector.mount_points["ca-bundle.pem"] == "/etc/vector/ca-bundle.pem"


def test_files_are_arguments_at_their_container_paths_and_mounted_read_only() -> None:
    service = Service.from_compose("prometheus")
    assert service.command(PROMTOOL) == [
        "check", "config", "--syntax-only", "/etc/prometheus/prometheus.yml"
    ]  # fmt: skip
    assert service.mounts(PROMTOOL) == {
        "/var/lib/ids2/rendered/.prometheus.yml.candidate": {
            "bind": "/etc/prometheus/prometheus.yml",
            "mode": "ro",
        }
    }
    assert host_command(PROMTOOL) == [
        "promtool", "check", "config", "--syntax-only",
        "/var/lib/ids2/rendered/.prometheus.yml.candidate",
    ]  # fmt: skip


def test_a_file_the_service_does_not_mount_is_refused() -> None:
    check = ImageCheck("prometheus", "promtool", (), {"alertmanager.yml": Path("/x")}, "check")
    with pytest.raises(ValidationError, match=r"service prometheus mounts no alertmanager\.yml"):
        Service.from_compose("prometheus").mounts(check)


def test_the_hosts_tool_is_used_when_it_is_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "promtool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    assert check_on_host_or_in_image(PROMTOOL, lambda: "on the host") == "on the host"


def test_without_the_tool_or_an_engine_the_note_names_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    candidate = tmp_path / "prometheus.yml"
    candidate.write_text("global: {}\n")
    note = check_with_promtool(candidate)
    assert note.startswith("not checked: promtool is not installed and no Docker engine answers")


@pytest.mark.parametrize(
    "message",
    [
        # podman 4.3 with runc, as the engine suite's podman answers
        "500 Server Error for http+docker://localhost/v1.41/containers/5bf0/start: Internal "
        'Server Error ("runc: runc create failed: unable to start container process: exec: '
        '"vector": executable file not found in $PATH: OCI runtime attempted to invoke a '
        'command that was not found")',
        # Docker
        '400 Client Error: Bad Request ("failed to create task for container: failed to '
        "create shim task: OCI runtime create failed: runc create failed: unable to start "
        'container process: exec: "vector": executable file not found in $PATH: unknown")',
        # crun
        "crun: executable file `vector` not found in $PATH: No such file or directory",
    ],
)
def test_an_image_without_the_tool_is_told_apart(message: str) -> None:
    assert image_check.not_in_image(message)


def test_a_refusal_by_the_tool_is_not_taken_for_a_missing_tool() -> None:
    assert not image_check.not_in_image(
        "promtool: error: path '/etc/prometheus/prometheus.yml' does not exist, try --help"
    )


def test_only_a_missing_image_or_engine_makes_a_file_worth_checking_again() -> None:
    image = "docker.io/prom/prometheus:v2.53.2"
    assert lacked_image(missing_note("promtool", f"image {image} is not present"))
    assert lacked_image("inputs wired; " + missing_note("vector", "no Docker engine answers (x)"))
    assert not lacked_image(missing_note("vector", f"image {image} has no vector"))
    assert not lacked_image(f"promtool check config (in {image}): ok")
