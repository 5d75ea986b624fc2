"""Put the tuning of a configuration in force: render, check, install, reload live.

threshold.config and suricata-update's filter files are rendered into the rendered
directory (each checked by its tool first: nothing replaces a file that fails). A change
of the filters rebuilds the ruleset with suricata-update from its cache and installs it
after `suricata -T`; either change is then reloaded in the running Suricata with
ruleset-reload-nonblocking, whose outcome (rules loaded and failed, the failed rules, the
reload time) is read back over the command socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ids2.common.apply import apply_files
from ids2.config.load import Config
from ids2.errors import Ids2Error
from ids2.suricata.render import THRESHOLD_FILE
from ids2.suricata.rules import RULES_FILE, RulePaths, RulesError, reload_live, update_rules
from ids2.suricata.tuning import UPDATE_FILES, render
from ids2.suricata.tuning_edits import unknown_sid_warnings


@dataclass
class TuningResult:
    """What applying did: the files changed, the reload's figures, and warnings."""

    changed: list[str]
    reload: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    summary: str = ""
    ruleset_rebuilt: bool = False


def _check_threshold_path(config: Config) -> None:
    """The running suricata.yaml must read the threshold.config ids2 renders."""
    rendered_dir = Path(config["paths"]["rendered_dir"])
    suricata_yaml = rendered_dir / "suricata.yaml"
    if not suricata_yaml.exists():
        raise RulesError(f"{suricata_yaml} does not exist yet: run `ids2 deploy` first")
    named = (yaml.safe_load(suricata_yaml.read_text(encoding="utf-8")) or {}).get("threshold-file")
    if named != str(rendered_dir / THRESHOLD_FILE):
        raise RulesError(
            f"{suricata_yaml} reads threshold-file {named}, not {rendered_dir / THRESHOLD_FILE}: "
            "run `ids2 deploy` once so Suricata reads the tuning ids2 renders"
        )


def apply_tuning(
    config: Config, paths: RulePaths | None = None, previous: Config | None = None
) -> TuningResult:
    """Render and apply the tuning of `config`; raises ValidationError (a file refused by
    its tool; nothing replaced) or RulesError (the ruleset or the reload failed; the files
    of `previous` are put back then, and the ruleset in use is unchanged)."""
    paths = paths or RulePaths()
    _check_threshold_path(config)
    rendered_dir = Path(config["paths"]["rendered_dir"])
    report = apply_files(render(config), rendered_dir)
    try:
        result = _put_in_force(config, paths, report.changed)
    except Ids2Error:
        if previous is not None:
            apply_files(render(previous), rendered_dir)
        raise
    result.warnings = unknown_sid_warnings(config, paths.rules_dir / RULES_FILE)
    return result


def _put_in_force(config: Config, paths: RulePaths, changed: list[str]) -> TuningResult:
    result = TuningResult(changed=changed)
    socket_path = Path(config["sensor"]["unix_socket"])
    if set(UPDATE_FILES.values()) & set(changed):
        result.reload = update_rules(config, paths, offline=True)
        result.ruleset_rebuilt = True
        result.summary = result.reload["summary"]
    elif THRESHOLD_FILE in changed and socket_path.exists():
        result.reload = reload_live(socket_path)
        result.summary = (
            f"reloaded live: {result.reload['rules_loaded']} rules loaded "
            f"({result.reload['rules_failed']} failed)"
        )
    elif THRESHOLD_FILE in changed:
        result.summary = "Suricata is not running: it reads the change when it starts"
    else:
        result.summary = "nothing changed"
    return result
