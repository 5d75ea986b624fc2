"""`ids2 run CONTROLLER`: one controller in the foreground, what each unit's ExecStart= calls."""

from __future__ import annotations

import argparse

from ids2.config.load import config_path


def _run(args: argparse.Namespace) -> int:
    from ids2.controllers import load_controller
    from ids2.controllers.runtime import run_controller

    return run_controller(load_controller(args.controller), config_path(args.config))


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 run`."""
    run = commands.add_parser(
        "run", parents=[config_option], help="run one controller in the foreground"
    )
    run.add_argument("controller", metavar="CONTROLLER")
    run.set_defaults(handler=_run)
