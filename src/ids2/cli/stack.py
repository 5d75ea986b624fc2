"""`ids2 stack-limits LEVEL` and `ids2 stack-report`: the root oneshots that talk to the
Docker socket on behalf of the controllers, which run as ids2 without it (it is root on the
host).

stack-limits is the one way a throttle level reaches the containers' CPU limits: the
resource controller may start ids2-stack-limits@LEVEL.service and nothing more, so the level
number is all it can choose; the limits come from the config here. stack-report is what
ids2-stack-report.timer runs every minute for the metrics controller.
"""

from __future__ import annotations

import argparse

from ids2.config.load import config_path
from ids2.errors import Ids2Error


def _stack_limits(args: argparse.Namespace) -> int:
    from ids2.state import StateStore, runtime_dir
    from ids2.system.throttle_actions import LIMITS_STATE, parse_level

    level = parse_level(args.level)
    try:
        results = apply_level(args.config, level)
    except Ids2Error as error:  # the controller reads why from the state file, not the journal
        results = {"stack": f"failed: {error}"}
    StateStore(runtime_dir()).write(LIMITS_STATE, {"level": level, "results": results})
    for target, result in results.items():
        print(f"{target}: {result}")
    return 0 if all(result.startswith("ok") for result in results.values()) else 1


def _stack_report(args: argparse.Namespace) -> int:
    from ids2.config.load import load_config
    from ids2.stack.engine import write_report
    from ids2.state import StateStore, runtime_dir

    config = load_config(config_path(args.config))
    report = write_report(StateStore(runtime_dir()), config["stack"]["project_name"])
    if "error" in report:
        raise Ids2Error(report["error"])
    return 0


def apply_level(config_file: str | None, level: int) -> dict[str, str]:
    """Set each enabled throttled container's CPU limit for `level`; a line per service."""
    from ids2.common.stack_files import stack_dir
    from ids2.config.load import load_config
    from ids2.stack.compose import StackManager
    from ids2.system.throttle import settings_for
    from ids2.system.throttle_actions import apply_container_limits, stack_cpus

    config = load_config(config_path(config_file))
    stack = config["stack"]
    manager = StackManager([stack_dir() / "docker-compose.yml"], stack["project_name"])
    settings = settings_for(config["resources"], level)
    return apply_container_limits(stack_cpus(stack), settings, manager.set_cpu_limit)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 stack-limits` and `ids2 stack-report`."""
    parser = commands.add_parser(
        "stack-limits",
        parents=[config_option],
        help="set the containers' CPU limits for a throttle level 0-3 (root)",
    )
    parser.add_argument("level", metavar="LEVEL", help="throttle level: 0, 1, 2 or 3")
    parser.set_defaults(handler=_stack_limits)
    report = commands.add_parser(
        "stack-report",
        parents=[config_option],
        help="write each stack container's state for the metrics controller (root)",
    )
    report.set_defaults(handler=_stack_report)
