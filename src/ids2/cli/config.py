"""`ids2 config validate|render|example|reference`: check the config and write what it generates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ids2.config.load import config_path, load_config


def _validate(args: argparse.Namespace) -> int:
    config = load_config(config_path(args.config))
    for warning in config.warnings:
        print(f"{config.source}: warning: {warning}", file=sys.stderr)
    print(f"{config.source}: valid")
    return 0


def _render(args: argparse.Namespace) -> int:
    from ids2.common.apply import apply_files
    from ids2.deploy.render import render_all

    config = load_config(config_path(args.config))
    report = apply_files(render_all(config), Path(args.output))
    for name in report.changed + report.unchanged:
        state = "written" if name in report.changed else "unchanged"
        print(f"{Path(args.output) / name}: {state} ({report.notes.get(name, '')})")
    if args.systemd_dir:
        from ids2.system.dropins import apply_units, install_units

        installed = install_units(Path(args.output), args.systemd_dir)
        print(f"systemd: {apply_units(installed, args.systemd_dir)}")
    return 0


def _example(_args: argparse.Namespace) -> int:
    from ids2.config.generate import example_config

    sys.stdout.write(example_config())
    return 0


def _reference(_args: argparse.Namespace) -> int:
    from ids2.config.generate import reference_markdown

    sys.stdout.write(reference_markdown())
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 config` and its four sub-commands."""
    config = commands.add_parser(
        "config", parents=[config_option], help="check and render the configuration"
    )
    config_commands = config.add_subparsers(dest="config_command", required=True)
    validate = config_commands.add_parser(
        "validate", parents=[config_option], help="exit 0 when the config is valid"
    )
    validate.set_defaults(handler=_validate)
    render = config_commands.add_parser(
        "render",
        parents=[config_option],
        help="write every generated file, each checked by its real tool",
    )
    render.add_argument("--output", required=True, metavar="DIR")
    render.add_argument(
        "--systemd-dir",
        type=Path,
        metavar="DIR",
        help="also install the rendered units and drop-ins there (the package: "
        "/etc/systemd/system)",
    )
    render.set_defaults(handler=_render)
    example = config_commands.add_parser(
        "example", parents=[config_option], help="print the commented default file"
    )
    example.set_defaults(handler=_example)
    reference = config_commands.add_parser(
        "reference", parents=[config_option], help="print the Markdown reference"
    )
    reference.set_defaults(handler=_reference)
