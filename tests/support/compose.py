"""The two compose implementations the stack must run under, for tests to choose between:
v1 (Debian 12's docker-compose 1.29, on this machine's PATH) and v2 (Debian 13's static
docker-compose 2.x, fetched by trixie-binaries.sh into a cache)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.trixie import COMPOSE_V2, path_with, trixie_binaries

VERSIONS = ("v1", "v2")


def compose_v2_binary() -> Path:
    """Trixie's docker-compose binary; the test fails, in one line, when it cannot be had."""
    return trixie_binaries(*COMPOSE_V2) / "docker-compose"


def path_for(version: str, directory: Path) -> str:
    """A PATH on which `docker-compose` is compose `version` ("v1" or "v2")."""
    if version == "v1":
        return os.environ["PATH"]
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "docker-compose"
    link.unlink(missing_ok=True)
    link.symlink_to(compose_v2_binary())
    return path_with(directory)


def version_on(path: str) -> str:
    """What `docker-compose version` says on `path`, to prove which one a test ran."""
    return subprocess.run(
        ["docker-compose", "version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": path},
    ).stdout.splitlines()[0]
