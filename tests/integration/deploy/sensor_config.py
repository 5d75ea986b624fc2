"""The config the rollback tests deploy: rendered files, history and secrets in tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine

MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))


def config_in(tmp_path: Path, **sections: Any) -> Config:
    """A valid config keeping its files under `tmp_path`, with `sections` added."""
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("grafana_admin_password: s3cret-grafana\n")
    secrets.chmod(0o600)
    document = {
        "paths": {"rendered_dir": str(tmp_path / "rendered")},
        "deploy": {"history_dir": str(tmp_path / "history")},
        "shipping": {"secrets_file": str(secrets)},
        **sections,
    }
    return validate_document(document, "/etc/ids2/config.yaml", MACHINE)
