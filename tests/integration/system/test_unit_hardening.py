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


def exposure(unit: str) -> float:
    """The overall exposure level that `systemd-analyze security --offline=true` reports."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", unit],
        cwd=UNITS_DIR,
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
    + ["ids2-deploy.service", "ids2-rules-update.service", "ids2-spool-prune.service"],
)
def test_exposure_at_or_below_goal(unit: str) -> None:
    assert exposure(unit) <= EXPOSURE_GOAL


def _sandbox_block(unit: str) -> str:
    return (UNITS_DIR / unit).read_text().split("# Sandboxing:", 1)[1].split("[Install]")[0]


def test_controllers_share_one_sandbox() -> None:
    """The shared block is written four times (units cannot include files): keep it equal."""
    blocks = {name: _sandbox_block(f"ids2-{name}.service") for name in CONTROLLERS}
    assert len(set(blocks.values())) == 1, "the controllers' sandboxing blocks have drifted"


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
