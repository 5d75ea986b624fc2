"""`ids2 status`: one screen of sensor health; exit 1 when anything is unhealthy."""

from __future__ import annotations

import argparse
import json

from ids2.config.load import Config, config_path, load_config
from ids2.errors import Ids2Error


def _status(args: argparse.Namespace) -> int:
    from ids2.state import StateStore, runtime_dir
    from ids2.status import facts as status_facts
    from ids2.status import report as status

    store = StateStore(runtime_dir())
    healths = status.collect(store)
    config: Config | None = None
    try:
        config = load_config(config_path(args.config))
        facts = status_facts.collect_facts(config, store)
    except Ids2Error as error:  # the running sensor still deserves a status screen
        facts = {"config_error": str(error)}
    if args.json:
        report = json.loads(status.render_json(healths))
        print(json.dumps({**report, "facts": facts}, indent=2, sort_keys=True, default=str))
    else:
        print(status.render_text(healths))
        print(status_facts.render_facts(facts) if config else f"config: {facts['config_error']}")
    if args.secrets and config is not None:
        print(status_facts.secrets_line(config))
    healthy = config is not None and all(health.ok for health in healths)
    return 0 if healthy else 1


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 status`."""
    status = commands.add_parser(
        "status", parents=[config_option], help="one screen of sensor health"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--secrets", action="store_true", help="also show generated passwords (root only)"
    )
    status.set_defaults(handler=_status)
