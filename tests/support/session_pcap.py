"""A pcap of many copies of one crafted exchange, each on a flow of its own, written as
bytes: scapy builds the exchange once, so a million packets take seconds, not minutes, and a
benchmark can give Suricata enough work to dwarf its start-up."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from pathlib import Path

ETHERNET = 14
IPV4_HEADER = 20
PROTOCOLS = {6: 16, 17: 6}
"""IP protocol number (TCP, UDP) -> offset of the checksum in its header."""
START_TIME = 1_700_000_000
GAP_MICROSECONDS = 100


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def session_client(index: int) -> tuple[bytes, int]:
    """The client address and port of session `index`: distinct for 500,000 sessions
    (62,500 addresses in 192.168.0.0/16 and 40,000 ports)."""
    address = ipaddress.IPv4Address(f"192.168.{index // 250 % 250}.{index % 250 + 1}")
    return address.packed, 20000 + index % 40000


def moved(frame: bytes, client: bytes, address: bytes, port: int) -> bytes:
    """`frame` (Ethernet, IPv4 without options, TCP or UDP) with the end that is `client`
    replaced by `address`:`port`, and both checksums right again.

    Raises ValueError for any other frame, or one that `client` neither sent nor received.
    """
    protocol = frame[ETHERNET + 9]
    if frame[12:14] != b"\x08\x00" or frame[ETHERNET] != 0x45 or protocol not in PROTOCOLS:
        raise ValueError("expected Ethernet, IPv4 without options, then TCP or UDP")
    packet = bytearray(frame)
    transport = ETHERNET + IPV4_HEADER
    if packet[ETHERNET + 12 : ETHERNET + 16] == client:
        packet[ETHERNET + 12 : ETHERNET + 16] = address
        packet[transport : transport + 2] = port.to_bytes(2, "big")
    elif packet[ETHERNET + 16 : ETHERNET + 20] == client:
        packet[ETHERNET + 16 : ETHERNET + 20] = address
        packet[transport + 2 : transport + 4] = port.to_bytes(2, "big")
    else:
        raise ValueError(f"neither end is {ipaddress.IPv4Address(client)}")
    ip_checksum = slice(ETHERNET + 10, ETHERNET + 12)
    packet[ip_checksum] = b"\0\0"
    packet[ip_checksum] = checksum(bytes(packet[ETHERNET:transport])).to_bytes(2, "big")
    total_length = int.from_bytes(packet[ETHERNET + 2 : ETHERNET + 4], "big")
    segment = slice(transport, ETHERNET + total_length)
    offset = transport + PROTOCOLS[protocol]
    transport_checksum = slice(offset, offset + 2)
    packet[transport_checksum] = b"\0\0"
    pseudo_header = packet[ETHERNET + 12 : ETHERNET + 20] + struct.pack(
        "!BBH", 0, protocol, total_length - IPV4_HEADER
    )
    # A computed 0 goes out as 0xFFFF, its equal in ones' complement: to UDP, 0 means none.
    value = checksum(bytes(pseudo_header) + bytes(packet[segment])) or 0xFFFF
    packet[transport_checksum] = value.to_bytes(2, "big")
    return bytes(packet)


def write_sessions(path: Path, exchange: Sequence[bytes], client: str, sessions: int) -> int:
    """Write `sessions` copies of `exchange` (frames to and from `client`) to the pcap
    `path`, copy i from session_client(i), the packets 100 µs apart. Returns the count."""
    client_address = ipaddress.IPv4Address(client).packed
    count = 0
    with path.open("wb") as pcap:
        # Microsecond pcap, version 2.4, snaplen 65535, Ethernet.
        pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for index in range(sessions):
            address, port = session_client(index)
            for frame in exchange:
                data = moved(frame, client_address, address, port)
                seconds, micros = divmod(count * GAP_MICROSECONDS, 1_000_000)
                pcap.write(struct.pack("<IIII", START_TIME + seconds, micros, len(data), len(data)))
                pcap.write(data)
                count += 1
    return count
