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
from ids2.suricata.tuning import UPDATE_FILES

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


def update_command(
    config: Config,
    paths: RulePaths,
    workdir: Path,
    *,
    fail_on_download: bool = True,
    offline: bool = False,
) -> list[str]:
    """The suricata-update command for the configured sources and the rendered filters
    (disable.conf, enable.conf, modify.conf in the rendered directory, as deployed).

    Without `fail_on_download`, a source that cannot be downloaded is left out and the
    ruleset is what remains: Suricata's distribution rules and the local files. `offline`
    downloads nothing and takes the sources from suricata-update's cache, for a change of
    the filters alone.
    """
    rules = config["sensor"]["rules"]
    rendered_dir = Path(config["paths"]["rendered_dir"])
    command = [
        "suricata-update",
        "update",
        "--no-test",
        "--no-reload",
        *(["--fail"] if fail_on_download else []),
        *(["--offline"] if offline else ["--force"]),
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
    for kind, name in UPDATE_FILES.items():
        if not (rendered_dir / name).exists():
            raise RulesError(f"{rendered_dir / name} does not exist yet: run `ids2 deploy` first")
        command += [f"--{kind}-conf", str(rendered_dir / name)]
    return command


def fetch(
    config: Config,
    paths: RulePaths,
    workdir: Path,
    *,
    fail_on_download: bool = True,
    offline: bool = False,
) -> Path:
    """Run suricata-update into a staging directory; the merged ruleset's path."""
    result = subprocess.run(
        update_command(config, paths, workdir, fail_on_download=fail_on_download, offline=offline),
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


def fetch_first_ruleset(
    config: Config, paths: RulePaths, workdir: Path, *, offline: bool = False
) -> tuple[Path, str]:
    """The staged ruleset, and why a download failed ("" when none did).

    Where no ruleset is live yet (a first start, or a sensor without network), a failed
    download must not leave Suricata with no rules at all: it gets its distribution rules
    and the local files, and the next update brings the rest. Where one is live, a failed
    download keeps it, as a ruleset without its downloaded sources would be a loss.
    `offline` takes the sources from suricata-update's cache, and downloads them only when
    one is not cached yet.
    """
    if offline:
        try:
            return fetch(config, paths, workdir, offline=True), ""
        except RulesError as error:
            log.info("not every source is cached, downloading them: %s", error)
    try:
        return fetch(config, paths, workdir), ""
    except RulesError as error:
        if (paths.rules_dir / RULES_FILE).exists():
            raise
        reason = str(error).splitlines()[-1].split("<Error> -- ", 1)[-1]
        return fetch(config, paths, workdir, fail_on_download=False), reason


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
        failed: list[dict[str, Any]] = control.command("ruleset-failed-rules") or []
        return {
            "rules_loaded": sum(int(s.get("rules_loaded", 0)) for s in stats),
            "rules_failed": sum(int(s.get("rules_failed", 0)) for s in stats),
            "failed_rules": [str(rule.get("rule", rule)) for rule in failed][:20],
            "reload_time": control.command("ruleset-reload-time"),
        }


def update_rules(
    config: Config, paths: RulePaths = RulePaths(), *, offline: bool = False
) -> dict[str, Any]:
    """Fetch (from the cache when `offline`), test, install and live-reload; the figures
    for the `rules` state file."""
    suricata_yaml = Path(config["paths"]["rendered_dir"]) / "suricata.yaml"
    if not suricata_yaml.exists():
        raise RulesError(f"{suricata_yaml} does not exist yet: run `ids2 deploy` first")
    with tempfile.TemporaryDirectory(prefix="ids2-rules-") as scratch:
        staged, download_failed = fetch_first_ruleset(config, paths, Path(scratch), offline=offline)
        count = install(staged, suricata_yaml, paths.rules_dir)
    result: dict[str, Any] = {"rules_in_file": count, "updated_at": time.time()}
    socket_path = Path(config["sensor"]["unix_socket"])
    if not socket_path.exists():
        summary = f"{count} rules installed; Suricata loads them when it starts"
    else:
        result.update(reload_live(socket_path))
        result["reloaded_at"] = time.time()
        summary = f"{result['rules_loaded']} rules loaded live ({result['rules_failed']} failed)"
    if download_failed:
        result["download_failed"] = download_failed
        summary += (
            f"; the rule download failed ({download_failed}), so these are Suricata's "
            "distribution rules and the local files until the next update"
        )
    result["summary"] = summary
    return result
