"""Where the static stack files (compose, Vector's VRL, dashboards) are found.

Shared by the stack renderer, the Vector checks and the resource controller, which
otherwise have nothing in common: the package's installed copy, else the source tree's.
"""

from __future__ import annotations

from pathlib import Path

import ids2

INSTALLED_STACK_DIR = Path("/usr/share/ids2/stack")


def stack_dir() -> Path:
    """The installed copy when there is one (the .deb), else the source tree's `stack/`."""
    if INSTALLED_STACK_DIR.is_dir():
        return INSTALLED_STACK_DIR
    return Path(ids2.__file__).resolve().parents[2] / "stack"
