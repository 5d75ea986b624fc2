"""`ids2 spool prune|backfill|redis`: the local spool and the Redis spill list, by hand or timer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ids2.config.load import Config, config_path, load_config
from ids2.errors import Ids2Error

MIB = 1024 * 1024


def _prune(args: argparse.Namespace) -> int:
    from ids2.shipping.spool import prune

    config = load_config(config_path(args.config))
    spool = config["shipping"]["spool"]
    removed = prune(Path(spool["directory"]), spool["max_mb"] * MIB)
    print(f"removed {len(removed)} day file(s)", *(path.name for path in removed))
    return 0


def _client(config: Config) -> Any:
    """A client for the configured endpoint, with the template and policy in place."""
    from ids2.shipping.opensearch.client import make_client
    from ids2.shipping.opensearch.setup import prepare

    if not config["shipping"]["opensearch"]["endpoint"]:
        raise Ids2Error("set shipping.opensearch.endpoint first: there is nowhere to index to")
    client = make_client(config, float(config["connectivity"]["timeout_seconds"]) * 6)
    print(prepare(client, config))
    return client


def _backfill(args: argparse.Namespace) -> int:
    from opensearchpy.exceptions import OpenSearchException

    from ids2.shipping.bulk import BulkIndexer
    from ids2.shipping.opensearch.setup import explain
    from ids2.shipping.spool import backfill
    from ids2.state import StateStore, runtime_dir
    from ids2.system.pace import pace_factor

    config = load_config(config_path(args.config))
    shipping = config["shipping"]
    state = StateStore(runtime_dir())
    indexer = BulkIndexer(_client(config), shipping["opensearch"]["index_prefix"])
    try:
        report = backfill(
            indexer,
            Path(shipping["spool"]["directory"]),
            shipping["batch_max_events"],
            remove=args.remove,
            paused=lambda: pace_factor(state) > 1,
        )
    except OpenSearchException as error:
        raise explain(error, config, "backfilling the spool") from None
    for name, count in report.files.items():
        print(f"{name}: {count} indexed")
    result = report.result
    print(
        f"indexed {result.indexed} spooled document(s); {result.rejected} refused, "
        f"{result.invalid} not ECS; removed {len(report.removed)} file(s)"
    )
    for reason in result.reasons:
        print(f"  refused: {reason}")
    return 0 if result.rejected == 0 else 1


def _redis(args: argparse.Namespace) -> int:
    from opensearchpy.exceptions import OpenSearchException

    from ids2.shipping.bulk import BulkIndexer
    from ids2.shipping.fallback import HOST_URL, connect, drain, spill_depth
    from ids2.shipping.opensearch.setup import explain

    config = load_config(config_path(args.config))
    shipping = config["shipping"]
    key = shipping["redis"]["key"]
    with connect(args.url or HOST_URL) as redis:
        if not args.drain:
            print(f"{spill_depth(redis, key)} event(s) spilled in {key}")
            return 0
        indexer = BulkIndexer(_client(config), shipping["opensearch"]["index_prefix"])
        try:
            report = drain(redis, key, indexer, shipping["batch_max_events"])
        except OpenSearchException as error:
            raise explain(error, config, f"draining {key}") from None
    result = report.result
    print(
        f"drained {result.indexed} event(s) from {key} in {report.batches} batch(es); "
        f"{result.rejected} refused, {result.invalid} not ECS; {report.left} left"
    )
    return 0 if result.rejected == 0 else 1


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 spool prune|backfill|redis`.

    Imports nothing heavy: every `ids2` command, the controllers' `ids2 run` too, builds
    this parser.
    """
    spool = commands.add_parser(
        "spool", parents=[config_option], help="the local spool and the Redis spill list"
    )
    spool_commands = spool.add_subparsers(dest="spool_command", required=True)
    prune = spool_commands.add_parser(
        "prune", parents=[config_option], help="remove the oldest day files above the size cap"
    )
    prune.set_defaults(handler=_prune)
    backfill = spool_commands.add_parser(
        "backfill",
        parents=[config_option],
        help="index the spool into the configured OpenSearch (again: only what is new)",
    )
    backfill.add_argument(
        "--remove", action="store_true", help="delete each day file once all of it is indexed"
    )
    backfill.set_defaults(handler=_backfill)
    redis = spool_commands.add_parser(
        "redis",
        parents=[config_option],
        help="how many events wait in Redis; --drain indexes them when Vector cannot",
    )
    redis.add_argument("--drain", action="store_true", help="index the spill list into OpenSearch")
    redis.add_argument(
        "--url", help="Redis as the host sees it (default: the stack's, published on loopback)"
    )
    redis.set_defaults(handler=_redis)
