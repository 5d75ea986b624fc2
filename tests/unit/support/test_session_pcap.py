"""The benchmark's pcap: copies of one crafted exchange, each on its own flow, with the
checksums right (Debian's stock config validates them), as scapy reads the file back."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet
from scapy.utils import rdpcap

from tests.integration.suricata.test_crafted_pcaps import CLIENT, dns_query, http_session
from tests.support.session_pcap import moved, session_client, write_sessions


def checksums_right(packet: Packet) -> bool:
    """Whether the IP and TCP/UDP checksums are what scapy computes afresh."""
    fresh = packet.copy()
    del fresh[IP].chksum
    transport = TCP if TCP in fresh else UDP
    del fresh[transport].chksum
    fresh = Ether(bytes(fresh))
    return (packet[IP].chksum, packet[transport].chksum) == (
        fresh[IP].chksum,
        fresh[transport].chksum,
    )


def test_each_session_is_the_exchange_on_a_flow_of_its_own(tmp_path: Path) -> None:
    exchange = http_session() + dns_query()
    pcap = tmp_path / "sessions.pcap"
    assert write_sessions(pcap, [bytes(packet) for packet in exchange], CLIENT, 3) == 33
    packets = rdpcap(str(pcap))
    assert len(packets) == 33
    for index in range(3):
        address, port = session_client(index)
        client = str(ipaddress.IPv4Address(address))
        for original, packet in zip(exchange, packets[index * 11 : index * 11 + 11], strict=True):
            transport = TCP if TCP in packet else UDP
            ends = (
                packet[IP].src,
                packet[transport].sport,
                packet[IP].dst,
                packet[transport].dport,
            )
            if original[IP].src == CLIENT:
                assert ends[:2] == (client, port)
                assert ends[2:] == (original[IP].dst, original[transport].dport)
            else:
                assert ends[2:] == (client, port)
                assert ends[:2] == (original[IP].src, original[transport].sport)
            assert bytes(packet[transport].payload) == bytes(original[transport].payload)
            assert checksums_right(packet), packet.summary()
    microseconds = [round(float(packet.time - packets[0].time) * 1e6) for packet in packets]
    assert microseconds == list(range(0, 3300, 100))


def test_session_clients_stay_distinct() -> None:
    assert len({session_client(index) for index in range(0, 500_000, 7)}) == len(
        range(0, 500_000, 7)
    )


def test_a_frame_it_cannot_move_is_refused() -> None:
    client = ipaddress.IPv4Address(CLIENT).packed
    other = ipaddress.IPv4Address("192.0.2.9").packed
    frame = bytes(http_session()[0])
    with pytest.raises(ValueError, match=r"neither end is 192\.168\.1\.20"):
        moved(frame.replace(client, other), client, other, 1)
    with pytest.raises(ValueError, match="IPv4 without options"):
        moved(bytes(Ether() / IP(src=CLIENT, options=[b"\x01" * 4]) / UDP()), client, other, 1)
