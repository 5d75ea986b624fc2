"""Evaluate suricata-verify `filter` checks against EVE events (the subset our corpus uses).

A check counts the events whose fields match; dotted keys walk into objects, `has-key`
and `not-has-key` test presence, `KEY.__len` compares a length. Checks that `requires` a
Suricata version other than ours are skipped, as suricata-verify itself does.
"""

from __future__ import annotations

import re
from typing import Any

SURICATA_VERSION = (7, 0, 10)
_MISSING = object()


def _version(text: object) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split("."))


def applies(requires: dict[str, Any] | None) -> bool:
    """Whether a check's (or a test's) `requires` holds for our Suricata."""
    if not requires:
        return True
    if "min-version" in requires and _version(requires["min-version"]) > SURICATA_VERSION:
        return False
    return not ("lt-version" in requires and _version(requires["lt-version"]) <= SURICATA_VERSION)


def _lookup(event: Any, dotted: str) -> Any:
    for key in re.sub(r"\[(\d+)\]", r".\1", dotted).split("."):
        if key == "__len":
            return len(event) if isinstance(event, list | dict | str) else _MISSING
        if isinstance(event, list) and key.isdigit() and int(key) < len(event):
            event = event[int(key)]
        elif isinstance(event, dict) and key in event:
            event = event[key]
        else:
            return _MISSING
    return event


def matches(event: dict[str, Any], match: dict[str, Any]) -> bool:
    for key, wanted in match.items():
        if key == "has-key":
            if _lookup(event, wanted) is _MISSING:
                return False
        elif key == "not-has-key":
            if _lookup(event, wanted) is not _MISSING:
                return False
        elif _lookup(event, key) != wanted:
            return False
    return True


def failed_checks(checks: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[str]:
    """Every applicable filter check whose count differs, described."""
    failures = []
    for check in checks:
        spec = check.get("filter")
        if spec is None or not applies(spec.get("requires")):
            continue
        found = sum(1 for event in events if matches(event, spec.get("match", {})))
        if found != spec["count"]:
            failures.append(
                f"expected {spec['count']} events matching {spec.get('match')}, got {found}"
            )
    return failures
