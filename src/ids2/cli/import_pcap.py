"""`ids2 import-pcap FILE... [--tag NAME]`: Suricata offline on capture files, their events
tagged and shipped like live ones (through Vector: see ids2.shipping.imports), then the
summary of the alerts found."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ids2.config.load import Config, config_path, load_config

if TYPE_CHECKING:
    from ids2.alerts.summary import Summary
    from ids2.shipping.imports import Handoff


def _handoff(config: Config) -> Handoff:
    from ids2.shipping.imports import HEADROOM_PERCENT, Handoff, import_directory
    from ids2.suricata.offline import PcapError
    from ids2.system.ramdisk import room_below

    ramdisk = config["ramdisk"]
    mount_point = Path(ramdisk["mount_point"])
    if not mount_point.is_dir():
        raise PcapError(f"the RAM disk {mount_point} is not there: start the sensor first")
    limit = ramdisk["high_water_percent"] - HEADROOM_PERCENT
    return Handoff(import_directory(mount_point), lambda: room_below(mount_point, limit))


@dataclass
class _Import:
    """One run of the command: what every file shares, and the alerts found so far."""

    config: Config
    suricata_yaml: Path
    rules: Path
    handoff: Handoff
    found: Summary
    import_id: str
    earliest: datetime | None = None  # of the alerts found

    def one(self, pcap: Path, tags: list[str]) -> tuple[str, list[Path]]:
        """Run, tag and hand over one file; (the line to print, the files handed over)."""
        import tempfile

        from ids2.suricata.offline import run_offline

        with tempfile.TemporaryDirectory(prefix="ids2-import-") as scratch:
            eve = run_offline(pcap, self.suricata_yaml, self.rules, Path(scratch))
            return self._ship(pcap, eve, tags)

    def _ship(self, pcap: Path, eve: Path, tags: list[str]) -> tuple[str, list[Path]]:
        from ids2.alerts.alert import Alert
        from ids2.shipping.imports import document_id, spool_files, stored_ids, tagged_lines
        from ids2.suricata.offline import events

        ids, stamps, alerts = set(), set(), 0
        for event in events(eve):
            ids.add(document_id(event, tags))
            stamps.add(event.get("timestamp"))
            alert = Alert.from_eve(event)
            if alert is not None:
                self.found.add(alert)
                self.earliest = min(alert.time, self.earliest or alert.time)
                alerts += 1
        known: set[str] = set()
        shipping = self.config["shipping"]
        if not shipping["opensearch"]["endpoint"]:  # the spool appends: give only what it lacks
            directory = Path(shipping["spool"]["directory"])
            days = spool_files(directory, shipping["opensearch"]["index_prefix"], stamps)
            known = stored_ids([*days, *self.handoff.pending()], ids)
        lines = (
            line
            for doc_id, line in tagged_lines(events(eve), tags, self.import_id)
            if doc_id not in known
        )
        written = self.handoff.hand_over(lines, f"{pcap.name}-{self.import_id[:12]}")
        line = (
            f"{pcap}: {len(ids)} events, {alerts} alerts; {len(ids) - len(known)} handed to Vector"
        )
        return line + (f", {len(known)} already in the spool" if known else ""), written


def _import(args: argparse.Namespace) -> int:
    import uuid

    from ids2.alerts import output
    from ids2.alerts.summary import Summary
    from ids2.errors import Ids2Error
    from ids2.suricata.offline import INSTALLED_RULES, PcapError

    config = load_config(config_path(args.config))
    rules = Path(args.rules) if args.rules else INSTALLED_RULES
    if not rules.is_file():
        advice = "" if args.rules else ": run `ids2 rules update`, or give --rules FILE"
        raise PcapError(f"no ruleset at {rules}{advice}")
    suricata_yaml = Path(config["paths"]["rendered_dir"]) / "suricata.yaml"
    if not suricata_yaml.is_file():
        raise PcapError(f"{suricata_yaml} does not exist yet: run `ids2 deploy` first")
    if args.tag is not None and not args.tag.strip():
        raise PcapError("--tag: expected a name, got an empty one")
    run = _Import(config, suricata_yaml, rules, _handoff(config), Summary(), uuid.uuid4().hex)
    handed: list[Path] = []
    status = 0
    for name in args.files:
        pcap = Path(name)
        try:
            line, written = run.one(pcap, [f"pcap:{pcap.name}", *filter(None, [args.tag])])
        except Ids2Error as error:
            print(f"ids2: {error}", file=sys.stderr, flush=True)
            status = max(status, error.exit_status)
            continue
        handed += written
        print(line, flush=True)
    try:
        run.handoff.wait_taken(handed)
    except Ids2Error as error:
        print(f"ids2: {error}", file=sys.stderr)
        status = max(status, error.exit_status)
    tags = [args.tag] if args.tag else [f"pcap:{Path(name).name}" for name in args.files]
    if run.earliest is not None and len(tags) == 1:  # pcap times are old: say how to look
        print(f"their alerts: ids2 alerts --tag {shlex.quote(tags[0])} --since {run.earliest:%F}")
    print(output.summary_text(run.found))
    return status


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 import-pcap`."""
    parser = commands.add_parser(
        "import-pcap",
        parents=[config_option],
        help="run Suricata on capture files and ship their events, tagged, like live ones",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="pcap or pcapng files")
    parser.add_argument(
        "--tag", metavar="NAME", help="tag every event NAME too (each gets pcap:<file name>)"
    )
    parser.add_argument(
        "--rules", metavar="FILE", help="detect with these rules instead of the installed ruleset"
    )
    parser.set_defaults(handler=_import)
