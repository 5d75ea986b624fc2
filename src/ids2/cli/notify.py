"""`ids2 notify test [RECEIVER]`: a test notification through the stack's Alertmanager."""

from __future__ import annotations

import argparse
import socket

from ids2.config.load import config_path, load_config
from ids2.errors import Ids2Error

DEFAULT_WAIT_SECONDS = 30.0


def _test(args: argparse.Namespace) -> int:
    from ids2.notify.api import send_test
    from ids2.stack.prometheus import alertmanager_address

    config = load_config(config_path(args.config))
    receivers = config["notify"]["receivers"]
    if not receivers:
        raise Ids2Error("no receiver to test: notify.receivers is empty")
    if args.receiver is not None and args.receiver not in receivers:
        known = ", ".join(receivers)
        raise Ids2Error(f"no receiver {args.receiver!r} in notify.receivers (there are: {known})")
    chosen = [args.receiver] if args.receiver is not None else list(receivers)
    sensor = config["sensor"]["name"] or socket.gethostname()
    results = send_test(
        alertmanager_address(config),
        sensor,
        {name: receivers[name]["type"] for name in chosen},
        args.wait,
    )
    for name, outcome in results.items():
        print(f"{name} ({receivers[name]['type']}): {outcome}")
    return 0 if all(outcome == "sent" for outcome in results.values()) else 1


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 notify`."""
    notify = commands.add_parser("notify", help="notifications through Alertmanager")
    actions = notify.add_subparsers(dest="action", required=True, metavar="ACTION")
    test = actions.add_parser(
        "test",
        parents=[config_option],
        help="send a test notification to one receiver, or to all, and report the outcome",
    )
    test.add_argument("receiver", nargs="?", help="a name under notify.receivers (default: all)")
    test.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for Alertmanager's attempt (default {DEFAULT_WAIT_SECONDS:g})",
    )
    test.set_defaults(handler=_test)
