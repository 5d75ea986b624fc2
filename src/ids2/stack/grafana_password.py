"""Grafana's admin password: generated once into the secrets file, wherever the stack's
files are rendered (`ids2 deploy`, `ids2 up`, `ids2 config render`, the package's postinst),
so Grafana never starts with an empty one and falls back to its default."""

from __future__ import annotations

import secrets as token_source
from pathlib import Path

import yaml

from ids2.config.load import load_secrets
from ids2.errors import ConfigError

KEY = "grafana_admin_password"


def ensure_grafana_password(secrets_path: Path) -> bool:
    """Generate the password into the secrets file (0600) once; True when generated.

    ConfigError names the file when it cannot be written: without a stored password the
    stack's files are not rendered at all.
    """
    current = load_secrets(secrets_path)
    if current[KEY]:
        return False
    document = {key: value for key, value in current.items() if value}
    document[KEY] = token_source.token_urlsafe(18)
    temp = secrets_path.with_name(f".{secrets_path.name}.new")
    try:
        secrets_path.parent.mkdir(parents=True, exist_ok=True)
        temp.touch(mode=0o600)
        temp.chmod(0o600)
        temp.write_text(yaml.safe_dump(document), encoding="utf-8")
        temp.replace(secrets_path)
    except OSError as error:
        raise ConfigError(
            str(secrets_path),
            [f"at '{KEY}': cannot store the generated password ({error.strerror or error})"],
        ) from None
    return True
