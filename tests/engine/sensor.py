"""A sensor for the tests that run `ids2` commands against the engine: its own directory and
configuration, a veth pair into a namespace of ours as its capture interface, and the real
OpenSearch node (plain HTTP, behind the front whose ISM double answers the ISM calls: that
plugin is not published) as its self-hosted endpoint."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import Config, load_config
from ids2.stack.compose import StackManager
from ids2.stack.render import compose_files
from tests.engine.engine import Engine
from tests.engine.health import HealthPump
from tests.engine.sensor_config import TEST_SECRETS, write_config
from tests.opensearch.front import NodeFront
from tests.opensearch.target import NodeTarget
from tests.support.netns import VethNamespace, veth_namespace


@dataclass
class Sensor:
    """One sensor's files, its configuration and what stands around it."""

    directory: Path
    config_file: Path
    environment: dict[str, str]
    network: VethNamespace
    opensearch: NodeFront

    @property
    def config(self) -> Config:
        return load_config(self.config_file)

    @property
    def rendered(self) -> Path:
        return Path(self.config["paths"]["rendered_dir"])

    def command(self, *arguments: str) -> list[str]:
        """`ids2 ARGUMENTS --config CONFIG`, as a person would type it."""
        return [sys.executable, "-m", "ids2", *arguments, "--config", str(self.config_file)]

    def ids2(self, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
        """Run an `ids2` command to its end, with the engine's DOCKER_HOST."""
        return subprocess.run(
            self.command(*arguments),
            env={**self.environment, **environment},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def history(self, *arguments: str) -> str:
        """The output of a git command in the config history."""
        command = ["git", "-C", self.config["deploy"]["history_dir"], *arguments]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def stack(self) -> StackManager:
        config = self.config
        return StackManager(
            compose_files(config), config["stack"]["project_name"], self.rendered / "stack.env"
        )


@contextmanager
def sensor_on_engine(
    engine: Engine,
    directory: Path,
    project: str,
    node_url: str,
    secrets: Mapping[str, str] = TEST_SECRETS,
    **sections: dict[str, Any],
) -> Iterator[Sensor]:
    """A sensor whose stack is the compose project `project` on `engine`, shipping to the
    node at `node_url`, with health checks pumped; its stack is brought down and the node
    cleared of ids2's indices and templates afterwards."""
    with veth_namespace() as network, NodeFront(node_url) as opensearch:
        config_file = write_config(
            directory,
            secrets,
            sensor={
                "interface": network.host_interface,
                "workers": 1,
                "home_networks": ["10.199.77.0/24"],
            },
            shipping={"opensearch": {"endpoint": opensearch.url}},
            stack={"project_name": project},
            **sections,
        )
        (directory / "ram_logs" / "canary").mkdir()
        environment = {**engine.environment, "IDS2_RUNTIME_DIR": str(directory / "run")}
        sensor = Sensor(directory, config_file, environment, network, opensearch)
        with HealthPump(engine) as pump, pytest.MonkeyPatch.context() as patch:
            patch.setenv("DOCKER_HOST", engine.docker_host)
            try:
                yield sensor
            finally:
                sensor.stack().down()
                NodeTarget(node_url).clear()
        assert not pump.errors, pump.errors
