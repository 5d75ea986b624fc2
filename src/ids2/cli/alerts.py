"""`ids2 alerts`: the latest alerts or their summary, from OpenSearch or the local spool."""

from __future__ import annotations

import argparse
import json
from argparse import SUPPRESS
from pathlib import Path
from typing import TYPE_CHECKING

from ids2.config.load import Config, config_path, load_config

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ids2.alerts.alert import Alert
    from ids2.alerts.opensearch import OpenSearchAlerts
    from ids2.alerts.query import Query
    from ids2.alerts.summary import Summary


def _query(args: argparse.Namespace) -> Query:
    from datetime import UTC, datetime

    from ids2.alerts.alert import AlertsError, address
    from ids2.alerts.query import Query, parse_when

    if args.limit < 1:
        raise AlertsError(f"--limit must be at least 1, got {args.limit}")
    if args.follow and args.summary:
        raise AlertsError("--follow prints alerts as they come; it cannot go with --summary")
    now = datetime.now(UTC)
    return Query(
        since=parse_when(args.since, now),
        until=parse_when(args.until, now) if args.until else now,
        severity=args.severity,
        sid=args.sid,
        signature=args.signature,
        ip=address(args.ip) if args.ip else None,
        tag=args.tag,
        limit=args.limit,
    )


def _source(args: argparse.Namespace, config: Config) -> str:
    from ids2.alerts.alert import AlertsError

    endpoint = config["shipping"]["opensearch"]["endpoint"]
    if args.source == "opensearch" and not endpoint:
        raise AlertsError("--source opensearch: shipping.opensearch.endpoint is not set")
    if args.source == "auto":
        return "opensearch" if endpoint and not args.spool else "spool"
    return str(args.source)


def _opensearch(config: Config) -> OpenSearchAlerts:
    from ids2.alerts.opensearch import OpenSearchAlerts
    from ids2.shipping.opensearch.http import make_http_client

    client = make_http_client(config, float(config["connectivity"]["timeout_seconds"]) * 6)
    return OpenSearchAlerts(client, config["shipping"]["opensearch"]["index_prefix"])


def _spool(args: argparse.Namespace, config: Config, query: Query) -> Iterator[Alert]:
    from ids2.alerts.spool import read_spool

    shipping = config["shipping"]
    directory = Path(args.spool or shipping["spool"]["directory"])
    return read_spool(directory, shipping["opensearch"]["index_prefix"], query)


def _read(args: argparse.Namespace, config: Config, query: Query) -> list[Alert] | Summary:
    """The newest alerts (newest first) or, with --summary, their counts."""
    import heapq

    from ids2.alerts.summary import summarize

    if _source(args, config) == "opensearch":
        source = _opensearch(config)
        return source.summary(query) if args.summary else source.latest(query)
    alerts = _spool(args, config, query)
    if args.summary:
        return summarize(alerts)
    return heapq.nlargest(query.limit, alerts, key=lambda alert: alert.time)


def _alerts(args: argparse.Namespace) -> int:
    from ids2.alerts import output

    config = load_config(config_path(args.config))
    query = _query(args)
    found = _read(args, config, query)
    if not isinstance(found, list):
        print(json.dumps(found.as_dict()) if args.json else output.summary_text(found))
        return 0
    show = output.json_line if args.json else output.text_line
    if not args.follow:
        print("\n".join(map(show, found)) if found else output.NO_ALERTS)
        return 0
    from ids2.alerts.follow import Follower, follow

    follower = Follower(Path(config["ramdisk"]["mount_point"]))
    for alert in reversed(found):  # like tail -f: oldest first, the newest last
        print(show(alert), flush=True)
    follow(follower, query, lambda alert: print(show(alert), flush=True))
    return 0


def _pcap(args: argparse.Namespace) -> int:
    """Find the alert, then cut its flow's packets from the ring into --output."""
    from datetime import UTC, datetime

    from ids2.alerts.alert import AlertsError
    from ids2.alerts.lookup import Wanted, newest, on_ramdisk
    from ids2.alerts.pcap import Flow, cut
    from ids2.alerts.query import Query, parse_when

    config = load_config(config_path(args.config))
    wanted = Wanted.parse(args.identifier)
    now = datetime.now(UTC)
    query = Query(since=parse_when(args.pcap_since, now), until=now)
    alert = on_ramdisk(Path(config["ramdisk"]["mount_point"]), wanted)
    if alert is None and _source(args, config) == "opensearch":
        alert = _opensearch(config).find(query, wanted)
    elif alert is None:
        alert = newest(found for found in _spool(args, config, query) if wanted.matches(found))
    if alert is None:
        raise AlertsError(f"no alert with {wanted.kind} {wanted.value} since {args.pcap_since}")
    output = Path(args.output)
    count = cut(Path(config["sensor"]["pcap"]["directory"]), Flow.of(alert), output)
    print(
        f"{output}: {count} packets of the flow of sid {alert.sid} ({alert.signature}), "
        f"{alert.source_ip} -> {alert.destination_ip}, alert at {alert.time.isoformat()}"
    )
    return 0


def _add_pcap_parser(
    alerts: argparse.ArgumentParser, config_option: argparse.ArgumentParser
) -> None:
    """`ids2 alerts pcap`; --source and --spool may also come before `pcap`."""
    commands = alerts.add_subparsers(dest="alerts_command", metavar="pcap")
    pcap = commands.add_parser(
        "pcap",
        parents=[config_option],
        help="the packets of one alert's flow, cut from the pcap-log ring into one pcap file",
    )
    pcap.add_argument(
        "identifier",
        metavar="ID_OR_FLOW",
        help="the alert's flow id, its community id (1:...=) or its stored document's _id",
    )
    pcap.add_argument("--output", metavar="FILE", required=True, help="the pcap file to write")
    pcap.add_argument(
        "--since",
        dest="pcap_since",
        metavar="WHEN",
        default="30d",
        help="look for the alert back to WHEN (default: 30d)",
    )
    # SUPPRESS: a default here would overwrite what was given before `pcap`.
    pcap.add_argument(
        "--source",
        choices=("auto", "opensearch", "spool"),
        default=SUPPRESS,
        help="where to look after the RAM disk, as for ids2 alerts (default: auto)",
    )
    pcap.add_argument(
        "--spool", metavar="DIR", default=SUPPRESS, help="this spool directory instead"
    )
    pcap.set_defaults(handler=_pcap)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_option: argparse.ArgumentParser,
) -> None:
    """Register `ids2 alerts`; imports nothing heavy (every command builds this parser)."""
    alerts = commands.add_parser(
        "alerts",
        parents=[config_option],
        help="the latest alerts, or their summary, from OpenSearch or the local spool",
    )
    when = "a duration back from now (15m, 2h, 7d) or an ISO 8601 date or date-time"
    alerts.add_argument("--since", metavar="WHEN", default="24h", help=f"{when} (default: 24h)")
    alerts.add_argument("--until", metavar="WHEN", help=f"{when} (default: now)")
    alerts.add_argument("--severity", metavar="N", type=int, help="only this severity (1-4)")
    alerts.add_argument("--sid", metavar="SID", help="only this rule's alerts")
    alerts.add_argument(
        "--signature", metavar="TEXT", help="only signatures containing TEXT (any case)"
    )
    alerts.add_argument("--ip", metavar="ADDR", help="only alerts from or to this address")
    alerts.add_argument("--tag", metavar="TAG", help="only alerts with this tag")
    alerts.add_argument(
        "--limit", metavar="N", type=int, default=50, help="at most N alerts (default: 50)"
    )
    alerts.add_argument(
        "--json",
        action="store_true",
        help="each document as stored, one per line (--follow: new ones as Suricata wrote them)",
    )
    alerts.add_argument(
        "--summary",
        action="store_true",
        help="counts per severity, top signatures, top source and destination addresses",
    )
    alerts.add_argument(
        "--follow",
        action="store_true",
        help="then print new alerts as Suricata writes them to the RAM disk's alerts.json.*",
    )
    alerts.add_argument(
        "--source",
        choices=("auto", "opensearch", "spool"),
        default="auto",
        help="auto (default): OpenSearch when configured, else the local spool",
    )
    alerts.add_argument(
        "--spool", metavar="DIR", help="read this spool directory (default: shipping.spool)"
    )
    alerts.set_defaults(handler=_alerts)
    _add_pcap_parser(alerts, config_option)
