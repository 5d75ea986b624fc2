"""`ids2 spool prune` and `ids2 spool backfill`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ids2.config.load import config_path, load_config
from ids2.errors import Ids2Error

MIB = 1024 * 1024


def _prune(args: argparse.Namespace) -> int:
    from ids2.spool import prune

    config = load_config(config_path(args.config))
    spool = config["shipping"]["spool"]
    removed = prune(
        Path(spool["directory"]),
        config["shipping"]["opensearch"]["index_prefix"],
        spool["max_mb"] * MIB,
    )
    print(f"removed {len(removed)} day file(s)")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from ids2.adapters.opensearch_client import make_client
    from ids2.spool import backfill

    config = load_config(config_path(args.config))
    if not config["shipping"]["opensearch"]["endpoint"]:
        raise Ids2Error("set shipping.opensearch.endpoint first: there is nowhere to backfill to")
    client = make_client(config, float(config["connectivity"]["timeout_seconds"]) * 6)
    count = backfill(
        client,
        Path(config["shipping"]["spool"]["directory"]),
        config["shipping"]["opensearch"]["index_prefix"],
    )
    print(f"indexed {count} spooled document(s)")
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 spool prune|backfill`."""
    spool = commands.add_parser(
        "spool", parents=[config_option], help="the local spool of events (no OpenSearch)"
    )
    spool_commands = spool.add_subparsers(dest="spool_command", required=True)
    prune = spool_commands.add_parser(
        "prune", parents=[config_option], help="remove the oldest day files above the size cap"
    )
    prune.set_defaults(handler=_prune)
    backfill = spool_commands.add_parser(
        "backfill", parents=[config_option], help="index the spool into the configured OpenSearch"
    )
    backfill.set_defaults(handler=_backfill)
