"""The two compose implementations the stack must run under, for tests to choose between:
v1 (Debian 12's docker-compose 1.29, on this machine's PATH) and v2 (Debian 13's static
docker-compose 2.x, fetched by compose-v2.sh into a cache)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

FETCH_SCRIPT = Path(__file__).with_name("compose-v2.sh")
VERSIONS = ("v1", "v2")


def compose_v2_binary() -> Path:
    """Trixie's docker-compose binary; the test fails, in one line, when it cannot be had."""
    result = subprocess.run(
        ["sh", str(FETCH_SCRIPT)], capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != 0:
        pytest.fail(f"compose v2 unavailable: {result.stderr.strip()}", pytrace=False)
    return Path(result.stdout.strip())


def path_for(version: str, directory: Path) -> str:
    """A PATH on which `docker-compose` is compose `version` ("v1" or "v2")."""
    if version == "v1":
        return os.environ["PATH"]
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "docker-compose"
    link.unlink(missing_ok=True)
    link.symlink_to(compose_v2_binary())
    return f"{directory}{os.pathsep}{os.environ['PATH']}"


def version_on(path: str) -> str:
    """What `docker-compose version` says on `path`, to prove which one a test ran."""
    return subprocess.run(
        ["docker-compose", "version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": path},
    ).stdout.splitlines()[0]
