"""The validated configuration as the rest of ids2 holds it, and where its file is.

Apart from load.py so that a controller can hold a `Config` without the schema, the
validators and PyYAML: it reads its file through ids2.config.isolated instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

DEFAULT_PATH = "/etc/ids2/config.yaml"


def config_path(given: str | None) -> Path:
    """The config file to use: the --config argument, then $IDS2_CONFIG, then the default."""
    return Path(given or os.environ.get("IDS2_CONFIG") or DEFAULT_PATH)


class Config:
    """Validated configuration values with every default filled in.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("source", "values", "warnings")

    def __init__(
        self, source: str, values: dict[str, Any], warnings: list[str] | None = None
    ) -> None:
        self.source = source
        self.values = values
        self.warnings = warnings if warnings is not None else []

    def __getitem__(self, key: str) -> Any:
        return self.values[key]
