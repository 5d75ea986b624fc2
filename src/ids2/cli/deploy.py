"""`ids2 deploy` and `ids2 rollback`: the deploy phases, and going back to an earlier deploy."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ids2.config.load import config_path, load_config
from ids2.errors import Ids2Error

if TYPE_CHECKING:
    from ids2.deploy.runner import DeployReport, PhaseResult
    from ids2.state import StateStore


def _deploy(args: argparse.Namespace) -> int:
    from ids2.deploy.phases import DeployContext, deploy_phases
    from ids2.deploy.runner import run_phases
    from ids2.state import StateStore, runtime_dir
    from ids2.system.notify import Notifier

    context = DeployContext(load_config(config_path(args.config)))
    notifier = Notifier()
    report = run_phases(deploy_phases(context), only=args.phase, notifier=notifier)
    notifier.status("deploy done" if report.ok else "deploy failed")
    failed = next((r for r in report.results if not r.ok), None)
    store = StateStore(runtime_dir())
    try:
        _record(store, report, failed)
    except OSError as error:
        raise Ids2Error(
            f"the deploy ran (see above) but `ids2 status` cannot be told: {error}"
        ) from None
    return 0 if report.ok else 4


def _summary(report: DeployReport, failed: PhaseResult | None) -> str:
    """One line for `ids2 status`: failed, done, or done with the phases' warnings."""
    if failed is not None:
        return f"phase {failed.letter} ({failed.title}) failed: {failed.detail}"
    warnings = [f"phase {r.letter}: {r.detail}" for r in report.results if r.warning]
    return "deploy done" + (f", WARNING: {'; '.join(warnings)}" if warnings else "")


def _record(store: StateStore, report: DeployReport, failed: PhaseResult | None) -> None:
    """The outcome in the deploy state file, for `ids2 status`."""
    store.write(
        "deploy",
        {
            "ok": report.ok,
            "summary": _summary(report, failed),
            "phases": {
                r.letter: {
                    "ok": r.ok,
                    "warning": r.warning,
                    "seconds": round(r.seconds, 1),
                    "detail": r.detail,
                }
                for r in report.results
            },
        },
    )


def _rollback(args: argparse.Namespace) -> int:
    from ids2.deploy.phases import DeployContext
    from ids2.deploy.rollback import rollback

    print(rollback(DeployContext(load_config(config_path(args.config))), args.to))
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register deploy and rollback."""
    deploy = commands.add_parser(
        "deploy",
        parents=[config_option],
        help="phases A-G: check, render, connect, stack, verify, record",
    )
    deploy.add_argument("--phase", metavar="LETTER", help="run one phase only (A-G)")
    deploy.set_defaults(handler=_deploy)
    rollback = commands.add_parser(
        "rollback", parents=[config_option], help="restore rendered configs from the history"
    )
    rollback.add_argument(
        "--to",
        default="HEAD~1",
        metavar="REVISION",
        help="history revision to restore (default: the one before the last)",
    )
    rollback.set_defaults(handler=_rollback)
