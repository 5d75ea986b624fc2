"""The `ids2` command: the parser and main(); each sub-command group is a module beside this one."""

from __future__ import annotations

import importlib
import os
import sys
from functools import partial

from ids2 import TYPE_CHECKING, __version__
from ids2.cli.run import parse_run, run
from ids2.config.values import DEFAULT_PATH
from ids2.errors import Ids2Error

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

COMMAND_MODULES = (
    "config",
    "run",
    "status",
    "alerts",
    "import_pcap",
    "rules",
    "spool",
    "notify",
    "deploy",
    "up",
    "firstboot",
    "stack",
)
"""The modules under ids2.cli, each registering its sub-commands, in the order --help lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; --config is accepted before or after the sub-command."""
    import argparse

    parser = argparse.ArgumentParser(prog="ids2", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ids2 {__version__}")
    parser.add_argument("--debug", action="store_true", help="debug logging and full tracebacks")
    parser.add_argument("--config", metavar="PATH", default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    config_option = argparse.ArgumentParser(add_help=False)
    config_option.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"configuration file (default: $IDS2_CONFIG, then {DEFAULT_PATH})",
    )
    for module in COMMAND_MODULES:
        importlib.import_module(f"ids2.cli.{module}").add_parser(commands, config_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; expected failures become one clear message and an exit status.

    `ids2 run CONTROLLER`, what the units start, skips the parser (see `parse_run`).
    """
    arguments = sys.argv[1:] if argv is None else argv
    request = parse_run(arguments)
    command: Callable[[], int]
    if request is None:
        args = build_parser().parse_args(arguments)
        debug, command = args.debug, partial(args.handler, args)
    else:
        debug, command = request.debug, partial(run, request)
    debug = debug or os.environ.get("IDS2_DEBUG") == "1"
    from ids2.logsetup import configure

    configure(debug, logging_module=request is None)
    try:
        return command()
    except Ids2Error as error:
        if debug:
            raise
        print(f"ids2: {error}" if "\n" not in str(error) else str(error), file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        return 130
