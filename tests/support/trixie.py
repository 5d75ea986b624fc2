"""Binaries of Debian 13 trixie packages for tests on this Debian 12 machine, fetched by
trixie-binaries.sh into a cache: versions Raspberry Pi OS trixie users run (Compose v2,
Alertmanager 0.28), newer than bookworm's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

FETCH_SCRIPT = Path(__file__).with_name("trixie-binaries.sh")
ALERTMANAGER = ("prometheus-alertmanager", "usr/bin/amtool", "usr/bin/prometheus-alertmanager")
"""The package, then the files the tests run: amtool and the Alertmanager daemon."""
COMPOSE_V2 = ("docker-compose", "usr/libexec/docker/cli-plugins/docker-compose")


def trixie_binaries(package: str, *paths: str) -> Path:
    """The directory holding `paths` of trixie's `package`, each under its own name; the
    test fails, in one line, when they cannot be had."""
    result = subprocess.run(
        ["sh", str(FETCH_SCRIPT), package, *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"trixie's {package} unavailable: {result.stderr.strip()}", pytrace=False)
    return Path(result.stdout.strip())


def path_with(directory: Path) -> str:
    """PATH with `directory` first, so its binaries win over this machine's."""
    return f"{directory}{os.pathsep}{os.environ['PATH']}"
