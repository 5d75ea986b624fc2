"""Alert tuning rendered from `sensor.rules`: Suricata's threshold.config (suppressions and
thresholds) and suricata-update's disable.conf, enable.conf and modify.conf.

threshold.config is read by Suricata at start and at each live ruleset reload, from the
path the rendered suricata.yaml names; the three .conf files are read by suricata-update in
`ids2 rules update`. Each is checked by the tool that reads it: threshold.config by
`suricata -T` with the suricata.yaml it goes with, the others by suricata-update's own
parser, since suricata-update itself only warns about a line it cannot read and drops it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ids2.common.apply import as_applied
from ids2.common.rendered import (
    RenderedFile,
    ValidationError,
    Validator,
    check_with_tool,
    tool_missing_note,
)
from ids2.config.load import Config
from ids2.suricata.render import THRESHOLD_FILE, check_with_suricata

UPDATE_FILES = {"disable": "disable.conf", "enable": "enable.conf", "modify": "modify.conf"}
"""suricata-update's filter files, by the sensor.rules key each is rendered from."""
HEADER = "# Rendered by ids2 from sensor.rules in /etc/ids2/config.yaml; use `ids2 rules`.\n"

# suricata-update's own parsers, run by its interpreter: a line they return nothing for (or
# raise on) is one suricata-update would skip with a warning.
_PARSE_CHECK = """\
import sys
from suricata.update.matchers import ModifyRuleFilter, parse_rule_match
modify = sys.argv[1] == "modify"
bad = []
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    try:
        ok = ModifyRuleFilter.parse(line) if modify else parse_rule_match(line)
    except Exception:
        ok = None
    if not ok:
        bad.append(line)
if bad:
    sys.exit("suricata-update cannot parse: " + "; ".join(bad))
"""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _suppress_line(suppress: dict[str, Any]) -> str:
    where = f", track {suppress['track']}, ip {suppress['ip']}" if suppress["ip"] else ""
    return f"suppress gen_id 1, sig_id {suppress['sid']}{where}"


def _threshold_line(threshold: dict[str, Any]) -> str:
    return (
        f"threshold gen_id 1, sig_id {threshold['sid']}, type {threshold['type']}, "
        f"track {threshold['track']}, count {threshold['count']}, "
        f"seconds {threshold['seconds']}"
    )


def threshold_text(config: Config) -> str:
    """threshold.config: each suppression and threshold, after a comment with its reason."""
    rules = config["sensor"]["rules"]
    lines = [HEADER.rstrip("\n")]
    for kind, render_line in (("suppress", _suppress_line), ("threshold", _threshold_line)):
        for entry in rules[kind]:
            if entry["reason"]:
                lines.append(f"# {_one_line(entry['reason'])}")
            lines.append(render_line(entry))
    return "\n".join(lines) + "\n"


def update_file_text(config: Config, key: str) -> str:
    """disable.conf, enable.conf or modify.conf: one matcher (or modify line) per line."""
    return HEADER + "".join(f"{entry}\n" for entry in config["sensor"]["rules"][key])


def check_threshold_file(candidate: Path) -> str:
    """`suricata -T` of the suricata.yaml it goes with, reading this threshold.config."""
    suricata_yaml = as_applied(candidate, "suricata.yaml")
    if not suricata_yaml.exists():
        raise ValidationError(f"no suricata.yaml beside it in {candidate.parent} to test it with")
    return check_with_suricata(suricata_yaml, threshold_file=candidate)


def _update_file_check(key: str) -> Validator:
    def check(candidate: Path) -> str:
        missing = tool_missing_note("suricata-update")
        if missing:
            return missing
        program = Path(str(shutil.which("suricata-update")))
        interpreter = program.read_text(errors="replace").splitlines()[0].removeprefix("#!")
        command = [*interpreter.split(), "-c", _PARSE_CHECK, key, str(candidate)]
        return check_with_tool(command, "suricata-update's parser")

    return check


VALIDATORS = {THRESHOLD_FILE: check_threshold_file} | {
    name: _update_file_check(key) for key, name in UPDATE_FILES.items()
}


def render(config: Config) -> list[RenderedFile]:
    """threshold.config and suricata-update's filter files, each with its check."""
    files = [RenderedFile(THRESHOLD_FILE, threshold_text(config), VALIDATORS[THRESHOLD_FILE])]
    files += [
        RenderedFile(name, update_file_text(config, key), VALIDATORS[name])
        for key, name in UPDATE_FILES.items()
    ]
    return files
