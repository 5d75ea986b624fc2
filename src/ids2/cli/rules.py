"""`ids2 rules update`: what the daily ids2-rules-update.timer runs."""

from __future__ import annotations

import argparse

from ids2.config.load import config_path, load_config
from ids2.errors import Ids2Error
from ids2.state import StateStore, runtime_dir

DAY_SECONDS = 86400


def _update(args: argparse.Namespace) -> int:
    from ids2.suricata.rules import update_rules

    store = StateStore(runtime_dir())
    previous = store.read("rules")
    try:
        result = update_rules(load_config(config_path(args.config)))
    except Ids2Error as error:
        kept = dict(previous.data) if previous else {}
        kept.update(
            healthy=False,
            summary=f"update failed: {str(error).splitlines()[0]}",
            interval=DAY_SECONDS,
            last_error=str(error),
        )
        store.write("rules", kept)
        raise
    store.write("rules", {**result, "healthy": True, "interval": DAY_SECONDS, "last_error": None})
    print(result["summary"])
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 rules update`."""
    rules = commands.add_parser(
        "rules", help="update the Suricata ruleset", parents=[config_option]
    )
    rule_commands = rules.add_subparsers(dest="rules_command", required=True)
    update = rule_commands.add_parser(
        "update",
        help="fetch, test with suricata -T, install and reload live",
        parents=[config_option],
    )
    update.set_defaults(handler=_update)
