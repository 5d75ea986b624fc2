"""The units' sandboxing, judged by systemd's own `systemd-analyze security`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS_DIR = Path(__file__).resolve().parents[3] / "systemd"
CONTROLLERS = ("resource", "connectivity", "metrics", "verify")
EXPOSURE_GOAL = 2.0

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze"),
]


def exposure(unit: str, units_dir: Path = UNITS_DIR) -> float:
    """The overall exposure level that `systemd-analyze security --offline=true` reports."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", unit],
        cwd=units_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


@pytest.mark.parametrize(
    "unit",
    [f"ids2-{name}.service" for name in CONTROLLERS]
    + [
        "ids2-deploy.service",
        "ids2-rules-update.service",
        "ids2-spool-prune.service",
        "ids2-firstboot.service",
        "ids2-stack-limits@1.service",
        "ids2-stack-report.service",
    ],
)
def test_exposure_at_or_below_goal(unit: str) -> None:
    assert exposure(unit) <= EXPOSURE_GOAL


DEBIAN_SURICATA_UNIT = Path("/lib/systemd/system/suricata.service")
SURICATA_EXPOSURE_GOAL = 4.0
"""Suricata keeps root and capture capabilities, so it cannot score as low as a controller;
Debian's unit alone scores 9.3."""


@pytest.mark.skipif(not DEBIAN_SURICATA_UNIT.exists(), reason="needs Debian's suricata unit")
def test_suricata_with_our_drop_in_is_at_or_below_its_goal(tmp_path: Path) -> None:
    shutil.copy(DEBIAN_SURICATA_UNIT, tmp_path)
    assert exposure("suricata.service", tmp_path) > 9.0, "Debian's unit, before the drop-in"
    shutil.copytree(UNITS_DIR / "suricata.service.d", tmp_path / "suricata.service.d")
    assert exposure("suricata.service", tmp_path) <= SURICATA_EXPOSURE_GOAL


def _sandbox_block(unit: str) -> str:
    return (UNITS_DIR / unit).read_text().split("# Sandboxing:", 1)[1].split("[Install]")[0]


def test_controllers_share_one_sandbox() -> None:
    """The shared block is written four times (units cannot include files): keep it equal."""
    blocks = {name: _sandbox_block(f"ids2-{name}.service") for name in CONTROLLERS}
    assert len(set(blocks.values())) == 1, "the controllers' sandboxing blocks have drifted"


def test_the_root_helpers_share_one_sandbox() -> None:
    """The two oneshots that hold the Docker socket for the controllers: keep them equal."""
    helpers = ("ids2-stack-limits@.service", "ids2-stack-report.service")
    assert len({_sandbox_block(unit) for unit in helpers}) == 1, "the helpers' sandboxes drifted"


@pytest.mark.parametrize("name", CONTROLLERS)
def test_controller_units_are_notify_with_watchdog(name: str) -> None:
    text = (UNITS_DIR / f"ids2-{name}.service").read_text()
    for line in (
        "Type=notify",
        f"ExecStart=/opt/venvs/ids2/bin/ids2 run {name}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "User=ids2",
        "RuntimeDirectory=ids2",
        "RuntimeDirectoryPreserve=yes",
        "PartOf=ids2.target",
    ):
        assert f"\n{line}\n" in text, line
    assert re.search(r"\nWatchdogSec=\d+\n", text)


def _directives(text: str, key: str) -> list[str]:
    """Every value of `key=` in a unit file's text, split on whitespace."""
    return [
        word for line in re.findall(rf"^{key}=(.*)$", text, re.MULTILINE) for word in line.split()
    ]


@pytest.mark.parametrize("path", sorted(UNITS_DIR.glob("*.service")), ids=lambda path: path.name)
def test_only_root_oneshots_may_reach_the_docker_socket(path: Path) -> None:
    """The Docker socket is root on the host: a long-running unit (anything but a oneshot)
    gets no docker group, and a unit with another user never does either; so only the
    oneshots that run as root (the deploy, the limits helper) reach the engine."""
    text = path.read_text()
    groups = _directives(text, "SupplementaryGroups") + _directives(text, "Group")
    assert "docker" not in groups
    if "Type=oneshot" not in text:  # long-running: never root, which owns the socket
        assert _directives(text, "User") == ["ids2"], path.name


def test_the_package_no_longer_adds_ids2_to_the_docker_group() -> None:
    postinst = (UNITS_DIR.parent / "debian/ids2.postinst").read_text()
    assert "adduser --quiet ids2 docker" not in postinst
    assert "deluser --quiet ids2 docker" in postinst
