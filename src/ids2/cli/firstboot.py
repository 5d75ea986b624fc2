"""`ids2 firstboot`: what ids2-firstboot.service runs once, on the Pi's first boot."""

from __future__ import annotations

import argparse
from pathlib import Path

from ids2.config.load import config_path
from ids2.errors import ConfigError
from ids2.system import firstboot


def _firstboot(args: argparse.Namespace) -> int:
    from ids2.state import StateStore, runtime_dir

    accepted, outcome, config = firstboot.first_boot(
        Path(args.boot_file), config_path(args.config), Path(args.images_dir)
    )
    StateStore(runtime_dir()).write("firstboot", {"ok": accepted, "summary": outcome})
    text = firstboot.banner(config, outcome, firstboot.local_address())
    print(text, flush=True)
    firstboot.update_motd(Path(args.motd), text)
    return 0 if accepted else ConfigError.exit_status


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_parent: argparse.ArgumentParser,
) -> None:
    """The `firstboot` sub-command, run by ids2-firstboot.service."""
    parser = commands.add_parser(
        "firstboot",
        parents=[config_parent],
        help="apply the boot partition's ids2.yaml and print the status banner",
    )
    parser.add_argument("--boot-file", default=str(firstboot.BOOT_FILE), metavar="PATH")
    parser.add_argument("--images-dir", default=str(firstboot.IMAGES_DIR), metavar="DIR")
    parser.add_argument("--motd", default=str(firstboot.MOTD), metavar="PATH")
    parser.set_defaults(handler=_firstboot)
