"""The `ids2` command: validate and render the config, run a controller, show status."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ids2 import __version__
from ids2.config.load import DEFAULT_PATH, Config, config_path, load_config
from ids2.errors import Ids2Error

log = logging.getLogger("ids2")


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"configuration file (default: $IDS2_CONFIG, then {DEFAULT_PATH})",
    )


def _config_validate(args: argparse.Namespace) -> int:
    config = load_config(config_path(args.config))
    for warning in config.warnings:
        print(f"{config.source}: warning: {warning}", file=sys.stderr)
    print(f"{config.source}: valid")
    return 0


def _config_render(args: argparse.Namespace) -> int:
    from ids2.apply import apply_files
    from ids2.render import render_all

    config = load_config(config_path(args.config))
    report = apply_files(render_all(config), Path(args.output))
    for name in report.changed + report.unchanged:
        state = "written" if name in report.changed else "unchanged"
        print(f"{Path(args.output) / name}: {state} ({report.notes.get(name, '')})")
    return 0


def _config_example(_args: argparse.Namespace) -> int:
    from ids2.config.generate import example_config

    sys.stdout.write(example_config())
    return 0


def _config_reference(_args: argparse.Namespace) -> int:
    from ids2.config.generate import reference_markdown

    sys.stdout.write(reference_markdown())
    return 0


def _run(args: argparse.Namespace) -> int:
    from ids2.controllers import load_controller
    from ids2.runtime import run_controller

    return run_controller(load_controller(args.controller), config_path(args.config))


def _status(args: argparse.Namespace) -> int:
    import json

    from ids2 import status, status_facts
    from ids2.state import StateStore, runtime_dir

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; --config is accepted before or after the sub-command."""
    parser = argparse.ArgumentParser(prog="ids2", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ids2 {__version__}")
    parser.add_argument("--debug", action="store_true", help="debug logging and full tracebacks")
    parser.add_argument("--config", metavar="PATH", default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    config = commands.add_parser("config", help="check and render the configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    validate = config_commands.add_parser("validate", help="exit 0 when the config is valid")
    validate.set_defaults(handler=_config_validate)
    render = config_commands.add_parser(
        "render", help="write every generated file, each checked by its real tool"
    )
    render.add_argument("--output", required=True, metavar="DIR")
    render.set_defaults(handler=_config_render)
    example = config_commands.add_parser("example", help="print the commented default file")
    example.set_defaults(handler=_config_example)
    reference = config_commands.add_parser("reference", help="print the Markdown reference")
    reference.set_defaults(handler=_config_reference)

    run = commands.add_parser("run", help="run one controller in the foreground")
    run.add_argument("controller", metavar="CONTROLLER")
    run.set_defaults(handler=_run)

    status = commands.add_parser("status", help="one screen of sensor health")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--secrets", action="store_true", help="also show generated passwords (root only)"
    )
    status.set_defaults(handler=_status)

    for sub in (config, validate, render, example, reference, run, status):
        _add_config_option(sub)
    config_parent = argparse.ArgumentParser(add_help=False)
    _add_config_option(config_parent)
    from ids2 import cli_deploy, cli_rules, cli_spool, firstboot

    cli_rules.add_parser(commands, config_parent)
    cli_spool.add_parser(commands, config_parent)
    cli_deploy.add_parsers(commands, config_parent)
    firstboot.add_parser(commands, config_parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; expected failures become one clear message and an exit status."""
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get("IDS2_DEBUG") == "1"
    from ids2.logsetup import configure

    configure(debug)
    try:
        status: int = args.handler(args)
        return status
    except Ids2Error as error:
        if debug:
            raise
        print(f"ids2: {error}" if "\n" not in str(error) else str(error), file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        return 130
