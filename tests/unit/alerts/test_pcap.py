"""The pcap reader and writer, flow matching, identifier forms and the ring's messages."""

from __future__ import annotations

import ipaddress
import struct
from datetime import UTC, datetime
from pathlib import Path

import lz4.frame
import pytest

from ids2.alerts.alert import Alert, AlertsError
from ids2.alerts.lookup import Wanted, on_ramdisk
from ids2.alerts.pcap import Flow, cut, ring_files
from ids2.alerts.pcapfile import Packet, PcapError, endpoints, read_packets, write_packets
from tests.unit.alerts.documents import ecs_alert

ETHERNET = bytes(12)


def udp_v4(source: str, destination: str, ports: tuple[int, int], vlan: bool = False) -> bytes:
    ip = struct.pack(">BBHHHBBH", 0x45, 0, 28, 0, 0, 64, 17, 0)
    ip += ipaddress.IPv4Address(source).packed + ipaddress.IPv4Address(destination).packed
    link = ETHERNET + (b"\x81\x00\x00\x05" if vlan else b"") + b"\x08\x00"
    return link + ip + struct.pack(">HHHH", *ports, 8, 0)


def tcp_v6(source: str, destination: str, ports: tuple[int, int]) -> bytes:
    ip = struct.pack(">IHBB", 6 << 28, 20, 6, 64)
    ip += ipaddress.IPv6Address(source).packed + ipaddress.IPv6Address(destination).packed
    return ETHERNET + b"\x86\xdd" + ip + struct.pack(">HH", *ports) + bytes(16)


def packet(data: bytes, seconds: int = 1_700_000_000) -> Packet:
    return Packet(1, seconds, 250, data, len(data))


def test_written_packets_read_back_plain_and_lz4(tmp_path: Path) -> None:
    packets = [packet(udp_v4("10.0.0.1", "10.0.0.2", (1, 2)), 1_700_000_000 + n) for n in range(3)]
    plain = tmp_path / "plain.pcap"
    with plain.open("wb") as handle:
        assert write_packets(handle, packets) == 3
    assert list(read_packets(plain)) == packets
    framed = tmp_path / "framed.pcap.lz4"
    framed.write_bytes(lz4.frame.compress(plain.read_bytes()))
    assert list(read_packets(framed)) == packets


def test_a_file_still_being_written_gives_its_complete_packets(tmp_path: Path) -> None:
    path = tmp_path / "live.pcap"
    with path.open("wb") as handle:
        write_packets(handle, [packet(b"x" * 100), packet(b"y" * 100)])
    path.write_bytes(path.read_bytes()[:-10])
    assert [found.data for found in read_packets(path)] == [b"x" * 100]


def test_what_is_not_a_pcap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "eve.json"
    path.write_text('{"event_type": "alert"}\n' * 3)
    with pytest.raises(PcapError, match="not a pcap file"):
        list(read_packets(path))


def test_endpoints_of_ipv4_behind_a_vlan_and_of_ipv6() -> None:
    ends = endpoints(1, udp_v4("10.0.0.1", "10.0.0.2", (5353, 53), vlan=True))
    assert ends is not None and ends.protocol == 17
    assert (str(ends.source[0]), ends.source[1], ends.destination[1]) == ("10.0.0.1", 5353, 53)
    ends = endpoints(1, tcp_v6("fd00::1", "fd00::2", (40000, 443)))
    assert ends is not None and (ends.protocol, ends.destination) == (
        6,
        (ipaddress.IPv6Address("fd00::2"), 443),
    )
    assert endpoints(1, ETHERNET + b"\x08\x06" + bytes(28)) is None  # ARP


def alert(**fields: object) -> Alert:
    found = Alert.from_ecs({**ecs_alert(stamp="2026-12-04T10:00:00Z"), **fields})
    assert found is not None
    return found


def test_a_flow_holds_both_directions_and_nothing_else() -> None:
    flow = Flow.of(alert())  # 192.168.1.146:32858 -> 89.160.20.112:80, tcp
    forward = tcp_v6("::1", "::2", (1, 2))  # another flow altogether
    assert not flow.holds(endpoints(1, forward))  # type: ignore[arg-type]
    request = endpoints(1, udp_v4("192.168.1.146", "89.160.20.112", (32858, 80)))
    assert request is not None and not flow.holds(request)  # udp, not tcp
    v4 = Flow.of(alert(network={"transport": "udp"}))
    assert v4.holds(request)
    reply = endpoints(1, udp_v4("89.160.20.112", "192.168.1.146", (80, 32858)))
    other_port = endpoints(1, udp_v4("89.160.20.112", "192.168.1.146", (80, 32859)))
    assert reply is not None and other_port is not None
    assert v4.holds(reply) and not v4.holds(other_port)


def test_the_window_starts_with_the_flow() -> None:
    flow = Flow.of(alert(event={"kind": "alert", "start": "2026-12-04T09:59:00Z"}))
    assert flow.since == datetime(2026, 12, 4, 9, 58, 59, tzinfo=UTC).timestamp()
    assert flow.alert_time == datetime(2026, 12, 4, 10, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("467134378765420", "flow_id"),
        ("1:0aK2a7WyqLlOeqqY2ijQ0HldpRE=", "community_id"),
        ("ab" * 32, "_id"),
    ],
)
def test_identifier_forms(text: str, kind: str) -> None:
    assert Wanted.parse(text) == Wanted(kind, text)


def test_an_identifier_of_no_known_form_is_refused() -> None:
    with pytest.raises(AlertsError, match="expected a flow id"):
        Wanted.parse("sid:2013028")


def test_the_ramdisk_alert_found_by_flow_id(tmp_path: Path) -> None:
    event = (
        '{"timestamp":"2026-12-04T10:00:00.000000+0000","flow_id":%d,"event_type":"alert",'
        '"src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP",'
        '"alert":{"signature_id":%d,"signature":"x","severity":2}}\n'
    )
    (tmp_path / "alerts.json.1796378400").write_text(event % (7, 1) + event % (8, 2))
    found = on_ramdisk(tmp_path, Wanted("flow_id", "8"))
    assert found is not None and found.sid == "2"
    assert on_ramdisk(tmp_path, Wanted("flow_id", "9")) is None


def test_ring_files_oldest_first_and_rotated_out(tmp_path: Path) -> None:
    for name in ("alerts.pcap.1800100000.lz4", "alerts.pcap.1800000000", "eve.json"):
        (tmp_path / name).write_bytes(b"")  # the newest one just opened
    with (tmp_path / "alerts.pcap.1800000000").open("wb") as handle:
        write_packets(handle, [packet(udp_v4("10.9.9.1", "10.9.9.2", (1, 2)), 1800000000)])
    assert [file.start for file in ring_files(tmp_path)] == [1800000000, 1800100000]
    flow = Flow.of(alert())  # 2026-12-04, before the oldest file (2027): rotated out
    output = tmp_path / "out.pcap"
    with pytest.raises(AlertsError, match="the packets have rotated out"):
        cut(tmp_path, flow, output)
    assert not output.exists() and list(tmp_path.glob(".out.pcap.*")) == []


def test_packets_not_in_a_ring_that_covers_the_alert(tmp_path: Path) -> None:
    with (tmp_path / "alerts.pcap.1764000000").open("wb") as handle:
        write_packets(handle, [packet(udp_v4("10.9.9.1", "10.9.9.2", (1, 2)), 1764000000)])
    with pytest.raises(AlertsError, match="no packets of this flow"):
        cut(tmp_path, Flow.of(alert()), tmp_path / "out.pcap")


def test_no_ring_says_how_to_turn_it_on(tmp_path: Path) -> None:
    with pytest.raises(AlertsError, match=r"is sensor\.pcap\.enabled on"):
        cut(tmp_path / "none", Flow.of(alert()), tmp_path / "out.pcap")
