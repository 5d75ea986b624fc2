"""`ids2 alerts pcap`: the packets of one alert's flow, cut from Suricata's pcap-log ring.

The ring holds only flows that alerted, from their first alert on (conditional mode).
Each file is named after the time of its first packet, so only the files that can hold the
flow's window are read.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ids2.alerts.alert import Alert, AlertsError, instant
from ids2.alerts.pcapfile import (
    Endpoints,
    Packet,
    PcapError,
    endpoints,
    read_packets,
    write_packets,
)
from ids2.suricata import PCAP_STEM

# A flow's packets are looked for until this long after its alert: Suricata's default
# timeout of an established TCP flow, the longest a flow stays one without traffic.
AFTER_ALERT_SECONDS = 3600.0
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}
_RING_NAME = re.compile(re.escape(PCAP_STEM) + r"\.(\d+)(?:\.(\d+))?(?:\.lz4)?")


@dataclass(frozen=True)
class Flow:
    """An alert's flow: protocol, both ends, and the window its packets are in."""

    protocol: int
    ends: frozenset[tuple[str, int | None]]
    since: float
    until: float
    alert_time: float

    @classmethod
    def of(cls, alert: Alert) -> Flow:
        """The flow of `alert`, from the flow's start (EVE flow.start, ECS event.start) or
        the alert's time; AlertsError when the alert names no addresses or protocol."""
        transport = alert.protocol.split("/")[0]
        protocol = PROTOCOLS.get(transport, int(transport) if transport.isdigit() else None)
        if protocol is None or not alert.source_ip or not alert.destination_ip:
            raise AlertsError("the alert names no protocol and addresses to find its packets by")
        document = alert.document
        flow_start = (document.get("flow") or {}).get("start") or (document.get("event") or {}).get(
            "start"
        )
        start = alert.time
        if isinstance(flow_start, str):
            with contextlib.suppress(ValueError):  # no flow start then: the alert's time
                start = min(start, instant(flow_start))
        return cls(
            protocol=protocol,
            ends=frozenset(
                {
                    (_canonical(alert.source_ip), alert.source_port),
                    (_canonical(alert.destination_ip), alert.destination_port),
                }
            ),
            since=start.timestamp() - 1.0,  # the ring's times are whole microseconds
            until=alert.time.timestamp() + AFTER_ALERT_SECONDS,
            alert_time=alert.time.timestamp(),
        )

    def holds(self, ends: Endpoints) -> bool:
        """Whether a packet with these ends belongs to the flow, in either direction. A
        packet without ports (a later fragment, ICMP) matches on its addresses alone."""
        if ends.protocol != self.protocol:
            return False
        source, destination = (
            (str(ends.source[0]), ends.source[1]),
            (
                str(ends.destination[0]),
                ends.destination[1],
            ),
        )
        if source[1] is None or destination[1] is None:
            return {source[0], destination[0]} == {address for address, _ in self.ends}
        return frozenset({source, destination}) == self.ends


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


@dataclass(frozen=True)
class RingFile:
    path: Path
    start: float  # the time of its first packet, from its name


def ring_files(directory: Path) -> list[RingFile]:
    """The ring's files, oldest first; AlertsError when the directory cannot be read."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        raise AlertsError(
            f"there is no pcap ring at {directory}: is sensor.pcap.enabled on?"
        ) from None
    except OSError as error:
        raise AlertsError(f"cannot read the pcap ring {directory}: {error.strerror}") from None
    files = []
    for name in names:
        match = _RING_NAME.fullmatch(name)
        if match:
            start = int(match[1]) + int(match[2] or 0) / 1e6
            files.append(RingFile(directory / name, start))
    return sorted(files, key=lambda file: file.start)


def _packets(files: list[RingFile], flow: Flow) -> Iterator[Packet]:
    for index, file in enumerate(files):
        following = files[index + 1].start if index + 1 < len(files) else float("inf")
        if file.start > flow.until or following < flow.since:
            continue
        try:
            for packet in read_packets(file.path):
                if flow.since <= packet.time <= flow.until:
                    ends = endpoints(packet.linktype, packet.data)
                    if ends is not None and flow.holds(ends):
                        yield packet
        except FileNotFoundError:
            continue  # Suricata rotated it away while we were reading the ring
        except (OSError, PcapError) as error:
            raise AlertsError(f"cannot read {file.path}: {error}") from None


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


def cut(directory: Path, flow: Flow, output: Path) -> int:
    """Write the flow's packets from the ring in `directory` to `output` (replaced only once
    complete); returns how many. AlertsError when there are none: the packets have
    rotated out, or the ring never had them."""
    files = ring_files(directory)
    if not files:
        raise AlertsError(f"the pcap ring {directory} is empty: is sensor.pcap.enabled on?")
    try:
        descriptor, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    except OSError as error:
        raise AlertsError(f"cannot write {output}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            count = write_packets(handle, _packets(files, flow))
        if count:
            os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    if count:
        return count
    if files[0].start > flow.alert_time:
        raise AlertsError(
            f"the packets have rotated out: the ring in {directory} starts at "
            f"{_when(files[0].start)}, after the alert at {_when(flow.alert_time)}"
        )
    raise AlertsError(
        f"no packets of this flow in the ring {directory} (it starts at "
        f"{_when(files[0].start)}): pcap-log was off when it alerted, or Suricata did not "
        "write them"
    )
