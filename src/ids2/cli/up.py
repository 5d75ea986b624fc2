"""`ids2 up`: the whole sensor in the foreground (`make run`), where no package is installed."""

from __future__ import annotations

import argparse

from ids2.config.load import config_path


def _up(args: argparse.Namespace) -> int:
    from ids2.deploy.up import up

    return up(config_path(args.config))


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 up`."""
    up = commands.add_parser(
        "up", parents=[config_option], help="run the whole sensor in the foreground (make run)"
    )
    up.set_defaults(handler=_up)
