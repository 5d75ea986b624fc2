"""A sensor configuration whose every path lies under one test directory, rendered and
applied as `ids2 deploy` phase B does it, for tests that run the real stack."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ids2.common.apply import apply_files
from ids2.config.load import Config, load_config
from ids2.deploy.render import render_all

TEST_SECRETS = {
    "grafana_admin_password": "engine-test-grafana",
    "evebox_admin_password": "engine-test-evebox",
}


def write_config(
    directory: Path, secrets: Mapping[str, str] = TEST_SECRETS, **sections: dict[str, Any]
) -> Path:
    """config.yaml and secrets.yaml (0600) in `directory`, with the given top-level sections
    merged over the paths; the config file's path."""
    secrets_file = directory / "secrets.yaml"
    secrets_file.touch(mode=0o600)
    secrets_file.write_text(yaml.safe_dump(dict(secrets)))
    document: dict[str, Any] = {
        "paths": {
            "state_dir": str(directory / "state"),
            "rendered_dir": str(directory / "rendered"),
        },
        "deploy": {"history_dir": str(directory / "history")},
        "ramdisk": {"mount_point": str(directory / "ram_logs")},
        "sensor": {"unix_socket": str(directory / "suricata-command.socket")},
        "shipping": {
            "secrets_file": str(secrets_file),
            "spool": {"directory": str(directory / "spool")},
        },
    }
    for name, values in sections.items():
        document[name] = {**document.get(name, {}), **values}
    for key in ("state", "ram_logs", "spool"):
        (directory / key).mkdir(exist_ok=True)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def rendered_config(directory: Path, **sections: dict[str, Any]) -> Config:
    """The configuration of write_config(), with every file rendered and applied."""
    config = load_config(write_config(directory, **sections))
    apply_files(render_all(config), Path(config["paths"]["rendered_dir"]))
    return config
