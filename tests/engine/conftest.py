"""Fixtures for the engine tests: a private podman serving the Docker API, the stack's
images built into it, and the health-check pump.

Tests using them carry `@pytest.mark.engine`; `make test` runs them in their own pass.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest

from tests.engine.engine import Engine, start_engine, stop_engine
from tests.engine.health import HealthPump
from tests.engine.images import build_stack_images
from tests.support.compose import VERSIONS, path_for, version_on


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """A rootful podman service on a socket and in a network namespace of its own; stopped,
    with everything it started, at the end of the session."""
    if os.geteuid() != 0 or shutil.which("podman") is None:
        pytest.skip("needs root and podman (tests/system-deps.sh installs it)")
    running = start_engine()
    yield running
    stop_engine(running)


@pytest.fixture(scope="session")
def stack_images(engine: Engine) -> dict[str, str]:
    """The image name of each service of stack/docker-compose.yml, built into the engine."""
    started = time.monotonic()
    images = build_stack_images(engine)
    print(f"\nstack images ready in {time.monotonic() - started:.1f} s")
    return images


@pytest.fixture
def health_pump(engine: Engine) -> Iterator[HealthPump]:
    """Health checks run for every running container that has one, during the test."""
    with HealthPump(engine) as pump:
        yield pump
    assert not pump.errors, f"health pump errors: {pump.errors}"


@pytest.fixture(scope="module", params=VERSIONS)
def compose_version(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The module's tests run once with compose v1 as `docker-compose`, once with v2."""
    path = path_for(request.param, tmp_path_factory.mktemp("compose-bin"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", path)
        version = version_on(path)
        print(f"\n{version}")
        yield version
