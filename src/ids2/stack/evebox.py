"""EveBox, the alert inbox on the sensor: its evebox.yaml and evebox.env, from `stack.evebox`.

EveBox reads the RAM disk's alerts files, mounted read-only, as one spool (see
common/eve_files.py) into its SQLite database in /var/lib/ids2/evebox, which it prunes by
age and size. Only options EveBox documents are rendered (tests/unit/stack/test_evebox.py
holds them against its example configuration). TLS stays off as on Grafana's port: the
container answers plain HTTP, which a reverse proxy may wrap.

The admin password reaches the container in evebox.env (root only); the container's
entry command makes the user `admin` with it before the server starts, since EveBox
otherwise makes one with a random password that it writes to its log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ids2.common.env_files import HEADER, env_file, env_safe
from ids2.common.eve_files import ALERTS_GLOB
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.common.sizes import MIB
from ids2.config.load import Config

CONFIG_FILE = "evebox.yaml"
ENV_FILE = "evebox.env"
# Paths and port inside the container (docker-compose.yml mounts and publishes them).
DATA_DIRECTORY = "/var/lib/evebox"
CONTAINER_RAMDISK = "/mnt/ram_logs"
PASSWORD_VARIABLE = "IDS2_EVEBOX_PASSWORD"


def document(config: Config) -> dict[str, Any]:
    """evebox.yaml as a mapping: SQLite with retention, authentication on, plain HTTP on
    every address of the container, the alerts spool as input, bookmarks beside the data
    (the RAM disk is read-only to EveBox), no GeoIP database (the image has none)."""
    evebox = config["stack"]["evebox"]
    retention: dict[str, Any] = {"days": evebox["retention_days"]}
    if evebox["retention_size_mb"]:
        # A string, in bytes: EveBox reads the size as text ("20 GB" or a byte count).
        retention["size"] = str(evebox["retention_size_mb"] * MIB)
    return {
        "data-directory": DATA_DIRECTORY,
        "http": {"host": "0.0.0.0", "tls": {"enabled": False}},
        "authentication": {"required": True},
        "database": {"type": "sqlite", "retention": retention},
        "input": {
            "enabled": True,
            "paths": [f"{CONTAINER_RAMDISK}/{ALERTS_GLOB}"],
            "bookmark-directory": DATA_DIRECTORY,
        },
        "geoip": {"disabled": True},
    }


def data_directory(config: Config) -> Path:
    """EveBox's data on the host, root's alone (0700): its SQLite database holds the alerts'
    payloads and packets, its configuration database the users' password hashes. Made
    before the stack comes up, since the engine would make it world-readable."""
    path = Path(config["paths"]["state_dir"]) / "evebox"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def check_config(path: Path) -> str:
    """The file is a YAML mapping that keeps authentication on and reads the alerts."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValidationError(f"not YAML: {error}") from None
    if not isinstance(loaded, dict):
        raise ValidationError("expected a mapping of EveBox options")
    if (loaded.get("authentication") or {}).get("required") is not True:
        raise ValidationError("expected authentication.required: true")
    paths = (loaded.get("input") or {}).get("paths") or []
    if not paths:
        raise ValidationError("expected input.paths to name the alerts files")
    return f"sqlite, reads {', '.join(paths)}"


def render(config: Config, password: str) -> list[RenderedFile]:
    """evebox.yaml, and evebox.env (0600) with the admin password."""
    source = config["shipping"]["secrets_file"]
    environment = {PASSWORD_VARIABLE: env_safe(password, "evebox_admin_password", source)}
    text = f"{HEADER}\n{yaml.safe_dump(document(config), sort_keys=False)}"
    return [
        RenderedFile(CONFIG_FILE, text, check_config),
        RenderedFile(ENV_FILE, env_file(environment), mode=0o600),
    ]
