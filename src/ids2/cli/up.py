"""`ids2 up`: the whole sensor in the foreground (`make run`), where no package is installed."""

from __future__ import annotations

import argparse

from ids2.config.load import Config, config_path


def _start_stack_if_possible(config: Config) -> str:
    from ids2.deploy.phases import DeployContext, stack_up
    from ids2.stack.compose import StackError

    try:
        return stack_up(DeployContext(config))
    except StackError as error:
        return (
            f"not started ({error}); Suricata and the controllers run, EVE stays on the "
            "RAM disk until a Docker engine runs Vector"
        )


def _up(args: argparse.Namespace) -> int:
    from ids2.deploy.up import up

    return up(config_path(args.config), _start_stack_if_possible)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 up`."""
    up = commands.add_parser(
        "up", parents=[config_option], help="run the whole sensor in the foreground (make run)"
    )
    up.set_defaults(handler=_up)
