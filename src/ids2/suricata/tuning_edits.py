"""What each `ids2 rules` tuning command changes in `sensor.rules`, and how it is listed.

Pure functions from the current configuration to the new values of the keys they change,
so the commands edit the file through one checked path (ids2.config.edit). Each is
idempotent: suppressing twice leaves one suppression, disabling a disabled rule changes
nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ids2.config.edit import KeyPath
from ids2.config.load import Config
from ids2.errors import Ids2Error

RULES: KeyPath = ("sensor", "rules")
_ACTIVE_RULE = re.compile(r"^(?:alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)\s")
_SID = re.compile(r"[(;]\s*sid\s*:\s*(\d+)\s*;")


class TuningError(Ids2Error):
    """A tuning command asked for something the configuration does not hold."""


def _rules(config: Config) -> dict[str, Any]:
    rules: dict[str, Any] = config["sensor"]["rules"]
    return rules


def suppress(config: Config, sid: int, track: str, ip: str, reason: str) -> dict[KeyPath, Any]:
    """Add a suppression of `sid` for `ip` ('' everywhere), or give an existing one this
    reason."""
    entry = {"sid": sid, "track": track, "ip": ip, "reason": reason} if ip else {}
    entry = entry or {"sid": sid, "ip": "", "reason": reason}
    kept = [
        item
        for item in _rules(config)["suppress"]
        if (item["sid"], item["ip"], item["track"] if ip else "") != (sid, ip, track if ip else "")
    ]
    return {(*RULES, "suppress"): [*kept, entry]}


def unsuppress(config: Config, sid: int, ip: str | None) -> dict[KeyPath, Any]:
    """Remove the suppressions of `sid` (only the one for `ip` when given)."""
    current = _rules(config)["suppress"]
    kept = [item for item in current if item["sid"] != sid or ip not in (None, item["ip"])]
    if len(kept) == len(current):
        where = f" for {ip}" if ip is not None else ""
        raise TuningError(f"no suppression of {sid}{where} in sensor.rules.suppress")
    return {(*RULES, "suppress"): kept}


def threshold(config: Config, entry: dict[str, Any]) -> dict[KeyPath, Any]:
    """Set the threshold of entry's SID (Suricata takes one per rule), replacing any other."""
    kept = [item for item in _rules(config)["threshold"] if item["sid"] != entry["sid"]]
    return {(*RULES, "threshold"): [*kept, entry]}


def unthreshold(config: Config, sid: int) -> dict[KeyPath, Any]:
    """Remove the threshold of `sid`."""
    current = _rules(config)["threshold"]
    kept = [item for item in current if item["sid"] != sid]
    if len(kept) == len(current):
        raise TuningError(f"no threshold for {sid} in sensor.rules.threshold")
    return {(*RULES, "threshold"): kept}


def _same(matcher: int | str, other: int | str) -> bool:
    return str(matcher).strip() == str(other).strip()


def switch(config: Config, matcher: int | str, on: bool) -> dict[KeyPath, Any]:
    """Enable (`on`) or disable a rule: the matcher leaves the other list and joins this
    one, so the last command a person gave is the one in force."""
    rules = _rules(config)
    add, remove = ("enable", "disable") if on else ("disable", "enable")
    removed = [item for item in rules[remove] if not _same(item, matcher)]
    added = list(rules[add])
    # Enabling a rule that was only disabled is undoing that; a source's own disabled
    # rules need enable.conf.
    undoing = on and len(removed) < len(rules[remove])
    if not undoing and not any(_same(item, matcher) for item in added):
        added.append(matcher)
    return {(*RULES, remove): removed, (*RULES, add): added}


def loaded_sids(rules_file: Path) -> set[int]:
    """The SIDs of the active (not commented out) rules of a ruleset file."""
    try:
        text = rules_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return set()
    return {
        int(match.group(1))
        for line in text.splitlines()
        if _ACTIVE_RULE.match(line) and (match := _SID.search(line))
    }


def unknown_sid_warnings(config: Config, rules_file: Path) -> list[str]:
    """A warning for each suppressed or thresholded SID the ruleset has no active rule for:
    Suricata accepts such a line and it does nothing."""
    loaded = loaded_sids(rules_file)
    if not loaded:
        return [f"no ruleset in {rules_file} yet: the SIDs tuned are not checked"]
    return [
        f"sensor.rules.{kind}[{index}]: SID {entry['sid']} is not in the loaded ruleset "
        f"({rules_file}); the {kind} has no effect until a rule with that SID is loaded"
        for kind in ("suppress", "threshold")
        for index, entry in enumerate(_rules(config)[kind])
        if entry["sid"] not in loaded
    ]


def _describe(kind: str, entry: dict[str, Any]) -> str:
    if kind == "suppress":
        where = f"{entry['track']} {entry['ip']}" if entry["ip"] else "everywhere"
        return f"suppress   {entry['sid']:<10} {where}"
    return (
        f"threshold  {entry['sid']:<10} {entry['type']} {entry['track']}, "
        f"count {entry['count']} per {entry['seconds']} s"
    )


def listing(config: Config) -> list[str]:
    """One line per suppression, threshold, disabled and enabled matcher, with reasons."""
    rules = _rules(config)
    lines = []
    for kind in ("suppress", "threshold"):
        for entry in rules[kind]:
            reason = f"  # {entry['reason']}" if entry["reason"] else ""
            lines.append(_describe(kind, entry) + reason)
    for kind in ("disable", "enable"):
        lines += [f"{kind:<10} {matcher}" for matcher in rules[kind]]
    return lines
