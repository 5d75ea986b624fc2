"""Keys that were renamed: still read, with a warning naming the new key.

A sensor upgraded with its old config.yaml must keep running; its file is migrated the
next time a command edits the key (`ids2 rules disable` and `enable`).
"""

from __future__ import annotations

import copy

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

RENAMED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("sensor", "rules", "disable_sids"): ("sensor", "rules", "disable"),
    ("sensor", "rules", "enable_sids"): ("sensor", "rules", "enable"),
}
"""Old key path -> new key path, for lists whose items the new key takes as they are."""


def _parent(document: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    for key in path[:-1]:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else None


def normalize(document: Any) -> tuple[Any, list[str]]:
    """The document with renamed keys moved to their new place (items added to the new
    list, once), and a warning for each."""
    warnings = []
    for old, new in RENAMED.items():
        parent = _parent(document, old)
        if parent is None or old[-1] not in parent:
            continue
        document = copy.deepcopy(document)
        parent = _parent(document, old)
        assert parent is not None
        moved = parent.pop(old[-1])
        current = parent.get(new[-1])
        if isinstance(moved, list) and isinstance(current, list | None):
            merged = list(current or [])
            parent[new[-1]] = merged + [item for item in moved if item not in merged]
        else:
            parent[old[-1]] = moved  # a wrong shape: the validator names the old key
            continue
        warnings.append(
            f"at '{'.'.join(old)}': deprecated, read as {'.'.join(new)} (which also takes "
            "suricata-update matchers); rename the key"
        )
    return document, warnings
