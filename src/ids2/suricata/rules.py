"""Rule updates: suricata-update into a staging directory, test, install, reload live.

A new ruleset replaces the running one only after `suricata -T` accepted it with the
rendered config; Suricata then reloads it without a restart (ruleset-reload-nonblocking),
and the update is confirmed by the reload time moving and the loaded-rule count.
A failed update leaves the old rules in place and in use.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ids2.config.load import Config
from ids2.errors import Ids2Error
from ids2.suricata.render import RULES_DIR, check_with_suricata
from ids2.suricata.socket import SuricataSocket, SuricataSocketError

log = logging.getLogger(__name__)
RULES_FILE = "suricata.rules"
RELOAD_ATTEMPTS = 10


class RulesError(Ids2Error):
    """The update, its test or the reload failed; the previous rules stay in use."""


@dataclass(frozen=True)
class RulePaths:
    """Where suricata-update caches sources, and where the live ruleset lives."""

    data_dir: Path = Path("/var/lib/suricata")
    rules_dir: Path = Path(RULES_DIR)


def update_command(config: Config, paths: RulePaths, workdir: Path) -> list[str]:
    """The suricata-update command for the configured sources and SID filters."""
    rules = config["sensor"]["rules"]
    command = [
        "suricata-update",
        "update",
        "--no-test",
        "--no-reload",
        "--fail",
        "--force",
        "-D",
        str(paths.data_dir),
        "-o",
        str(workdir / "out"),
        "-c",
        str(workdir / "update.yaml"),
    ]
    (workdir / "update.yaml").write_text("{}\n")
    for source in rules["sources"]:
        command += ["--etopen"] if source == "et/open" else ["--url", source]
    for local in rules["local_files"]:
        command += ["--local", local]
    filters = {
        "disable": [str(sid) for sid in rules["disable_sids"]],
        "enable": [str(sid) for sid in rules["enable_sids"]],
        "modify": list(rules["modify"]),
    }
    for kind, lines in filters.items():
        if lines:
            (workdir / f"{kind}.conf").write_text("\n".join(lines) + "\n")
            command += [f"--{kind}-conf", str(workdir / f"{kind}.conf")]
    return command


def fetch(config: Config, paths: RulePaths, workdir: Path) -> Path:
    """Run suricata-update into a staging directory; the merged ruleset's path."""
    result = subprocess.run(
        update_command(config, paths, workdir),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    staged = workdir / "out" / RULES_FILE
    if result.returncode != 0 or not staged.exists():
        errors = [
            line for line in result.stderr.splitlines() if "Error" in line or "<Error" in line
        ]
        detail = "\n".join(errors[-5:] or result.stderr.splitlines()[-5:])
        raise RulesError(f"suricata-update failed, the old rules stay in use:\n{detail}")
    return staged


def install(staged: Path, suricata_yaml: Path, rules_dir: Path) -> int:
    """Test the staged ruleset with the config, then swap it in; the number of rules."""
    candidate_dir = Path(tempfile.mkdtemp(prefix="candidate-", dir=staged.parent))
    shutil.copy(staged, candidate_dir / RULES_FILE)
    try:
        check_with_suricata(suricata_yaml, candidate_dir)
    except Ids2Error as error:
        raise RulesError(
            f"the new ruleset fails suricata -T, the old one stays:\n{error}"
        ) from None
    rules_dir.mkdir(parents=True, exist_ok=True)
    live = rules_dir / RULES_FILE
    if live.exists():
        shutil.copy2(live, rules_dir / f"{RULES_FILE}.last-good")
    temp = rules_dir / f".{RULES_FILE}.new"
    shutil.copy(staged, temp)
    os.replace(temp, live)
    return sum(
        1
        for line in live.read_text(errors="replace").splitlines()
        if line.startswith(("alert", "drop", "pass", "reject"))
    )


def reload_live(socket_path: Path, timeout: float = 120) -> dict[str, Any]:
    """Reload the ruleset in the running Suricata and wait until the reload took."""
    with SuricataSocket(socket_path, timeout=30) as control:
        before = control.command("ruleset-reload-time")
        for _attempt in range(RELOAD_ATTEMPTS):
            try:
                control.command("ruleset-reload-nonblocking")
                break
            except SuricataSocketError as error:
                if "progress" not in str(error).lower():
                    raise RulesError(f"Suricata refused the reload: {error}") from None
                time.sleep(1)  # another reload is running: wait for it, then ours
        else:
            raise RulesError("a reload stayed in progress; try again later")
        deadline = time.monotonic() + timeout
        while control.command("ruleset-reload-time") == before:
            if time.monotonic() > deadline:
                raise RulesError(f"the reload did not finish within {timeout:.0f} s")
            time.sleep(0.5)
        stats: list[dict[str, Any]] = control.command("ruleset-stats")
        return {
            "rules_loaded": sum(int(s.get("rules_loaded", 0)) for s in stats),
            "rules_failed": sum(int(s.get("rules_failed", 0)) for s in stats),
        }


def update_rules(config: Config, paths: RulePaths = RulePaths()) -> dict[str, Any]:
    """Fetch, test, install and live-reload; the figures for the `rules` state file."""
    suricata_yaml = Path(config["paths"]["rendered_dir"]) / "suricata.yaml"
    if not suricata_yaml.exists():
        raise RulesError(f"{suricata_yaml} does not exist yet: run `ids2 deploy` first")
    with tempfile.TemporaryDirectory(prefix="ids2-rules-") as scratch:
        count = install(fetch(config, paths, Path(scratch)), suricata_yaml, paths.rules_dir)
    result: dict[str, Any] = {"rules_in_file": count, "updated_at": time.time()}
    socket_path = Path(config["sensor"]["unix_socket"])
    if not socket_path.exists():
        result["summary"] = f"{count} rules installed; Suricata loads them when it starts"
        return result
    result.update(reload_live(socket_path))
    result["reloaded_at"] = time.time()
    result["summary"] = (
        f"{result['rules_loaded']} rules loaded live ({result['rules_failed']} failed)"
    )
    return result
