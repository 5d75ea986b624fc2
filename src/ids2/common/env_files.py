"""Environment files that compose hands to the containers, and the secrets they may carry.

Compose reads an env file with ${...} interpolation, and the files themselves are lines of
NAME=value: a secret holding a quote, backslash, dollar or line break would arrive changed,
so such a value is refused with the key that holds it.
"""

from __future__ import annotations

import re

from ids2.errors import ConfigError

HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one."
_UNSAFE = re.compile(r'["\\$\n\r]')


def env_file(values: dict[str, str], header: str = HEADER) -> str:
    """NAME=value lines under a header that says where they come from."""
    return "\n".join([header, *(f"{key}={value}" for key, value in values.items())]) + "\n"


def env_safe(value: str, key: str, source: str) -> str:
    """`value` unchanged; ConfigError naming `source` and `key` when an env file cannot
    carry it."""
    if _UNSAFE.search(value):
        raise ConfigError(
            source,
            [
                f"at '{key}': expected no \" \\ $ or line break (it reaches the containers "
                "through an environment file and ${...} interpolation), got a value with one"
            ],
        )
    return value
