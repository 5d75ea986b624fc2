"""`ids2 rules`: the ruleset's update (what the daily ids2-rules-update.timer runs) and its
tuning, edited in the configuration file and applied live so nobody edits YAML for it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ids2.config.load import Config, config_path, load_config
from ids2.config.rules_schema import THRESHOLD_TRACKS, THRESHOLD_TYPES
from ids2.errors import Ids2Error
from ids2.state import StateStore, runtime_dir

if TYPE_CHECKING:  # the editing code (tempfile) stays out of the controllers' memory
    from ids2.config.edit import KeyPath

DAY_SECONDS = 86400
Change = Callable[[Config], "dict[KeyPath, Any]"]


def _store_healthy(store: StateStore, result: dict[str, Any]) -> None:
    store.write("rules", {**result, "healthy": True, "interval": DAY_SECONDS, "last_error": None})


def _update(args: argparse.Namespace) -> int:
    from ids2.suricata.rules import update_rules

    store = StateStore(runtime_dir())
    previous = store.read("rules")
    try:
        result = update_rules(load_config(config_path(args.config)))
    except Ids2Error as error:
        kept = dict(previous.data) if previous else {}
        kept.update(
            healthy=False,
            summary=f"update failed: {str(error).splitlines()[0]}",
            interval=DAY_SECONDS,
            last_error=str(error),
        )
        store.write("rules", kept)
        raise
    _store_healthy(store, result)
    print(result["summary"])
    return 0


def _tune(args: argparse.Namespace, change: Change, what: str) -> int:
    """Edit the config file, apply the tuning live, record both in the config history.

    The file as it was is committed to the history before it is replaced; when applying
    fails, the file is put back, so it always says what is in force.
    """
    from ids2.config.edit import plan_edit, write_atomically
    from ids2.deploy.history import ConfigHistory
    from ids2.suricata.render import THRESHOLD_FILE
    from ids2.suricata.tuning import UPDATE_FILES
    from ids2.suricata.tuning_apply import apply_tuning

    path = config_path(args.config)
    edit = plan_edit(path, change)
    rendered_dir = Path(edit.after["paths"]["rendered_dir"])
    history = ConfigHistory(Path(edit.after["deploy"]["history_dir"]))
    history.record(rendered_dir, [], f"config.yaml before `ids2 rules {what}`", path)
    write_atomically(path, edit.new_text)
    try:
        result = apply_tuning(edit.after, previous=edit.before)
    except Ids2Error as error:
        write_atomically(path, edit.old_text)
        error.args = (f"{error}\n{path} is unchanged",)
        raise
    if result.ruleset_rebuilt:
        _store_healthy(StateStore(runtime_dir()), result.reload)
    commit = history.record(
        rendered_dir, [THRESHOLD_FILE, *UPDATE_FILES.values()], f"ids2 rules {what}", path
    )
    recorded = f"; recorded as {commit.revision[:12]}" if commit is not None else ""
    print(f"{what}: {result.summary}{recorded}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _suppress(args: argparse.Namespace) -> int:
    from ids2.suricata.tuning_edits import suppress

    track, ip = next(
        (
            (track, ip)
            for track, ip in (
                ("by_src", args.by_src),
                ("by_dst", args.by_dst),
                ("by_either", args.by_either),
            )
            if ip
        ),
        ("by_src", ""),
    )
    where = f"{track} {ip}" if ip else "everywhere"
    return _tune(
        args,
        lambda config: suppress(config, args.sid, track, ip, args.reason),
        f"suppress {args.sid} {where}",
    )


def _unsuppress(args: argparse.Namespace) -> int:
    from ids2.suricata.tuning_edits import unsuppress

    where = f" for {args.ip}" if args.ip is not None else ""
    return _tune(
        args, lambda config: unsuppress(config, args.sid, args.ip), f"unsuppress {args.sid}{where}"
    )


def _threshold(args: argparse.Namespace) -> int:
    from ids2.suricata.tuning_edits import threshold

    entry = {
        "sid": args.sid,
        "type": args.type,
        "track": args.track,
        "count": args.count,
        "seconds": args.seconds,
        "reason": args.reason,
    }
    what = f"threshold {args.sid} {args.type} {args.track} {args.count}/{args.seconds}s"
    return _tune(args, lambda config: threshold(config, entry), what)


def _unthreshold(args: argparse.Namespace) -> int:
    from ids2.suricata.tuning_edits import unthreshold

    return _tune(args, lambda config: unthreshold(config, args.sid), f"unthreshold {args.sid}")


def _switch(args: argparse.Namespace) -> int:
    from ids2.suricata.tuning_edits import switch

    on = args.rules_command == "enable"
    matcher: int | str = int(args.rule) if args.rule.isdigit() else args.rule
    return _tune(
        args, lambda config: switch(config, matcher, on), f"{args.rules_command} {args.rule}"
    )


def _list_tuning(args: argparse.Namespace) -> int:
    from ids2.suricata.rules import RULES_FILE, RulePaths
    from ids2.suricata.tuning_edits import listing, unknown_sid_warnings

    config = load_config(config_path(args.config))
    print("\n".join(listing(config)) or "no tuning: nothing suppressed, thresholded or switched")
    for warning in unknown_sid_warnings(config, RulePaths().rules_dir / RULES_FILE):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _sid(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 4294967295:
        raise argparse.ArgumentTypeError(f"expected a SID (a whole number), got {text!r}")
    return int(text)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 rules update` and the tuning commands."""
    rules = commands.add_parser(
        "rules", help="update and tune the Suricata ruleset", parents=[config_option]
    )
    rule_commands = rules.add_subparsers(dest="rules_command", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> Any:
        parser = rule_commands.add_parser(name, help=text, parents=[config_option])
        parser.set_defaults(handler=handler)
        return parser

    command("update", _update, "fetch, test with suricata -T, install and reload live")
    suppress = command("suppress", _suppress, "stop logging a rule's alerts, for one address")
    suppress.add_argument("sid", type=_sid, metavar="SID")
    where = suppress.add_mutually_exclusive_group()
    for side, what in (("src", "source"), ("dst", "destination"), ("either", "either side")):
        where.add_argument(
            f"--by-{side}",
            metavar="ADDR",
            help=f"only alerts with this address or CIDR network as {what}",
        )
    suppress.add_argument("--reason", required=True, help="why, kept with the suppression")
    unsuppress = command("unsuppress", _unsuppress, "remove a rule's suppressions")
    unsuppress.add_argument("sid", type=_sid, metavar="SID")
    unsuppress.add_argument("--ip", metavar="ADDR", help="only the suppression for this address")
    threshold = command("threshold", _threshold, "log at most so many of a rule's alerts")
    threshold.add_argument("sid", type=_sid, metavar="SID")
    threshold.add_argument("--type", choices=THRESHOLD_TYPES, default="limit")
    threshold.add_argument("--track", choices=THRESHOLD_TRACKS, default="by_src")
    threshold.add_argument("--count", type=int, required=True)
    threshold.add_argument("--seconds", type=int, required=True)
    threshold.add_argument("--reason", default="", help="why, kept with the threshold")
    unthreshold = command("unthreshold", _unthreshold, "remove a rule's threshold")
    unthreshold.add_argument("sid", type=_sid, metavar="SID")
    for name, text in (("disable", "leave rules out"), ("enable", "put rules back in")):
        switch = command(name, _switch, f"{text} of the ruleset (rebuilt from the cache)")
        switch.add_argument(
            "rule", metavar="SID_OR_MATCHER", help="a SID, GID:SID, re:REGEX or group:FILE"
        )
    command(
        "list-tuning", _list_tuning, "show suppressions, thresholds, disabled and enabled rules"
    )
