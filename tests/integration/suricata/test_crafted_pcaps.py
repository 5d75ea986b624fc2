"""Pcaps crafted here with scapy, replayed by Suricata with the rendered config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

from tests.integration.suricata.test_pcap_replay import rendered_config, replay

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
CLIENT, SERVER = "192.168.1.20", "203.0.113.80"
RULES = (
    'alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"crafted: admin path"; '
    'http.uri; content:"/wp-admin/install.php"; sid:9300001; rev:1;)\n'
    'alert dns $HOME_NET any -> any any (msg:"crafted: lookup"; dns.query; '
    'content:"evil.example"; nocase; sid:9300002; rev:1;)\n'
)


def http_session() -> list[Packet]:
    """A whole TCP handshake, one GET and its answer, so the app layer sees a session."""

    def packet(
        src: str,
        dst: str,
        sport: int,
        dport: int,
        flags: str,
        seq: int,
        ack: int,
        payload: bytes = b"",
    ) -> Packet:
        return (
            Ether()
            / IP(src=src, dst=dst)
            / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
            / Raw(payload)
        )

    request = (
        b"GET /wp-admin/install.php HTTP/1.1\r\nHost: www.example.com\r\n"
        b"User-Agent: crafted\r\n\r\n"
    )
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    return [
        packet(CLIENT, SERVER, 40000, 80, "S", 1000, 0),
        packet(SERVER, CLIENT, 80, 40000, "SA", 5000, 1001),
        packet(CLIENT, SERVER, 40000, 80, "A", 1001, 5001),
        packet(CLIENT, SERVER, 40000, 80, "PA", 1001, 5001, request),
        packet(SERVER, CLIENT, 80, 40000, "A", 5001, 1001 + len(request)),
        packet(SERVER, CLIENT, 80, 40000, "PA", 5001, 1001 + len(request), response),
        packet(CLIENT, SERVER, 40000, 80, "A", 1001 + len(request), 5001 + len(response)),
        packet(CLIENT, SERVER, 40000, 80, "FA", 1001 + len(request), 5001 + len(response)),
        packet(SERVER, CLIENT, 80, 40000, "FA", 5001 + len(response), 1002 + len(request)),
        packet(CLIENT, SERVER, 40000, 80, "A", 1002 + len(request), 5002 + len(response)),
    ]


def dns_query() -> list[Packet]:
    return [
        Ether()
        / IP(src=CLIENT, dst="192.168.1.1")
        / UDP(sport=53000, dport=53)
        / DNS(id=0x1D5, rd=1, qd=DNSQR(qname="www.evil.example"))
    ]


def test_crafted_http_and_dns_raise_their_alerts(tmp_path: Path) -> None:
    pcap = tmp_path / "crafted.pcap"
    packets = http_session() + dns_query()
    for index, packet in enumerate(packets):
        packet.time = 1_700_000_000 + index * 0.01
    wrpcap(str(pcap), packets)
    (tmp_path / "crafted.rules").write_text(RULES)
    events = replay(
        rendered_config(tmp_path, home_networks=["192.168.0.0/16"]),
        pcap,
        [tmp_path / "crafted.rules"],
        [],
        tmp_path / "log",
    )
    alerts = {event["alert"]["signature_id"] for event in events if event["event_type"] == "alert"}
    assert alerts == {9300001, 9300002}
    types = {event["event_type"] for event in events}
    assert {"http", "dns", "flow", "alert"} <= types
    http = next(event for event in events if event["event_type"] == "http")
    assert http["http"]["url"] == "/wp-admin/install.php"
    assert http["community_id"].startswith("1:")
