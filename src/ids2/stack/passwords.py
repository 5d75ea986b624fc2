"""The stack's admin passwords (Grafana's, EveBox's): generated once into the secrets file,
wherever the stack's files are rendered (`ids2 deploy`, `ids2 up`, `ids2 config render`,
the package's postinst), so neither service ever starts with an empty or default one."""

from __future__ import annotations

import secrets as token_source
from pathlib import Path

import yaml

from ids2.config.edit import write_atomically
from ids2.config.load import load_secrets
from ids2.errors import ConfigError

GRAFANA_KEY = "grafana_admin_password"
EVEBOX_KEY = "evebox_admin_password"
SERVICES = {GRAFANA_KEY: "Grafana", EVEBOX_KEY: "EveBox"}


def ensure_passwords(secrets_path: Path) -> list[str]:
    """Generate each missing password into the secrets file (0600); the services whose
    password was generated now.

    ConfigError names the file and keys when it cannot be written: without stored
    passwords the stack's files are not rendered at all.
    """
    current = load_secrets(secrets_path)
    missing = [key for key in SERVICES if not current[key]]
    if not missing:
        return []
    document = {key: value for key, value in current.items() if value}
    document.update({key: token_source.token_urlsafe(18) for key in missing})
    try:
        secrets_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(secrets_path, yaml.safe_dump(document), 0o600)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            str(secrets_path),
            [f"at '{key}': cannot store the generated password ({reason})" for key in missing],
        ) from None
    return [SERVICES[key] for key in missing]
