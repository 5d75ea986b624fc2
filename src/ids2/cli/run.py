"""`ids2 run CONTROLLER`: one controller in the foreground, what each unit's ExecStart= calls."""

from __future__ import annotations

from ids2 import TYPE_CHECKING
from ids2.config.values import config_path

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


class RunRequest:
    """What `ids2 [--debug] [--config PATH] run CONTROLLER [--config PATH]` asks for."""

    __slots__ = ("config", "controller", "debug")

    def __init__(self, controller: str, config: str | None, debug: bool) -> None:
        self.controller = controller
        self.config = config
        self.debug = debug


def parse_run(arguments: Sequence[str]) -> RunRequest | None:
    """The request when `arguments` are a plain `run` command line, else None.

    This is the units' command line, read without argparse: building the full parser
    imports argparse and every command module, about 0.6 MB that each controller process
    would keep for good (measured: private dirty memory of `ids2 run resource`). It accepts
    only what argparse accepts with the same meaning (a test compares the two); anything
    else (help, abbreviations, a misplaced option) returns None and goes to argparse.
    """
    positionals: list[str] = []
    config: str | None = None
    debug = False
    remaining = iter(arguments)
    for argument in remaining:
        if argument == "--debug" and not positionals:
            debug = True
        elif argument == "--config":
            config = next(remaining, None)
            if config is None or config.startswith("-"):
                return None
        elif argument.startswith("--config="):
            config = argument.removeprefix("--config=")
        elif argument.startswith("-") or len(positionals) == 2:
            return None
        else:
            positionals.append(argument)
    if len(positionals) != 2 or positionals[0] != "run":
        return None
    return RunRequest(positionals[1], config, debug)


def run(request: RunRequest) -> int:
    """Run the requested controller until it is stopped; its exit status."""
    from ids2.controllers import load_controller
    from ids2.controllers.runtime import run_controller

    return run_controller(load_controller(request.controller), config_path(request.config))


def _run(args: argparse.Namespace) -> int:
    return run(RunRequest(args.controller, args.config, args.debug))


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 run`."""
    run_parser = commands.add_parser(
        "run", parents=[config_option], help="run one controller in the foreground"
    )
    run_parser.add_argument("controller", metavar="CONTROLLER")
    run_parser.set_defaults(handler=_run)
