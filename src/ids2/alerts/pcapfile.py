"""Classic pcap files, plain or lz4-framed as Suricata's pcap-log writes them, and the
endpoints of each packet, so the packets of one flow can be cut out of the ring.

A small reader and writer rather than a packet library: the ring is read whole on a Pi,
and all that is needed of a packet is its addresses, protocol and ports.
"""

from __future__ import annotations

import ipaddress
import itertools
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import lz4.frame

LZ4_MAGIC = b"\x04\x22\x4d\x18"
MICROSECOND_MAGIC = 0xA1B2C3D4
NANOSECOND_MAGIC = 0xA1B23C4D
CHUNK_BYTES = 1 << 20
# Link types: Ethernet, raw IP (three numbers for it), BSD loopback (its address family in
# either byte order), Linux cooked capture v1.
ETHERNET, RAW_IP, RAW_IP_OPENBSD, RAW_IP_LINUX, LINUX_SLL = 1, 101, 12, 14, 113
LOOPBACK, LOOPBACK_OPENBSD = 0, 108
IP_VERSIONS = {4: 0x0800, 6: 0x86DD}
VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
IPV6_EXTENSIONS = (0, 43, 60)  # hop-by-hop, routing, destination options
IPV6_FRAGMENT = 44
PORTED_PROTOCOLS = (6, 17, 132)  # TCP, UDP, SCTP

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Endpoint = tuple[Address, int | None]


class PcapError(ValueError):
    """A file that is not a pcap (or lz4-framed pcap) file."""


@dataclass(frozen=True)
class Packet:
    """One record: its file's link type, its time (seconds since the epoch), its bytes and
    its length on the wire."""

    linktype: int
    seconds: int
    microseconds: int
    data: bytes
    wire_length: int

    @property
    def time(self) -> float:
        return self.seconds + self.microseconds / 1e6


@dataclass(frozen=True)
class Endpoints:
    """A packet's protocol number and its two ends; ports are None without a transport
    header (ICMP, or a fragment after the first)."""

    protocol: int
    source: Endpoint
    destination: Endpoint


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    """The file's bytes, decompressed when it is lz4-framed. A frame without its end is
    the file Suricata is still writing: what it holds so far is returned."""
    first = handle.read(CHUNK_BYTES)
    if not first.startswith(LZ4_MAGIC):
        while first:
            yield first
            first = handle.read(CHUNK_BYTES)
        return
    decompressor = lz4.frame.LZ4FrameDecompressor()
    chunk = first
    while chunk and not decompressor.eof:
        try:
            yield decompressor.decompress(chunk)
        except RuntimeError as error:
            raise PcapError(f"broken lz4 frame: {error}") from None
        chunk = handle.read(CHUNK_BYTES)


def read_packets(path: Path) -> Iterator[Packet]:
    """The packets of `path`, in file order; PcapError when it is not a pcap file, OSError
    when it cannot be read. An empty file has none; a record cut short at the end (still
    being written) is left out."""
    with path.open("rb") as handle:
        buffer = bytearray()
        chunks = _chunks(handle)
        for chunk in chunks:
            buffer += chunk
            if len(buffer) >= 24:
                break
        if not buffer:
            return  # just opened by Suricata, nothing written yet
        header = bytes(buffer[:24]).ljust(24, b"\0")
        for order in "<>":
            magic, _, _, _, _, _, linktype = struct.unpack(order + "IHHiIII", header)
            if magic in (MICROSECOND_MAGIC, NANOSECOND_MAGIC):
                break
        else:
            raise PcapError("not a pcap file")
        divisor = 1000 if magic == NANOSECOND_MAGIC else 1
        record = struct.Struct(order + "IIII")
        offset = 24
        for chunk in itertools.chain([b""], chunks):
            buffer += chunk
            while len(buffer) - offset >= record.size:
                seconds, fraction, captured, wire = record.unpack_from(buffer, offset)
                end = offset + record.size + captured
                if end > len(buffer):
                    break
                data = bytes(buffer[offset + record.size : end])
                yield Packet(linktype, seconds, fraction // divisor, data, wire)
                offset = end
            del buffer[:offset]
            offset = 0


def write_packets(handle: BinaryIO, packets: Iterable[Packet]) -> int:
    """Write a microsecond pcap file of `packets`, with the first one's link type (later
    ones of another type are left out: one file has one); returns how many were written."""
    count = 0
    linktype = None
    for packet in packets:
        if linktype is None:
            linktype = packet.linktype
            handle.write(struct.pack("<IHHiIII", MICROSECOND_MAGIC, 2, 4, 0, 0, 262144, linktype))
        if packet.linktype != linktype:
            continue
        header = struct.pack(
            "<IIII", packet.seconds, packet.microseconds, len(packet.data), packet.wire_length
        )
        handle.write(header + packet.data)
        count += 1
    return count


def _network_layer(linktype: int, data: bytes) -> tuple[int, int] | None:
    """(ethertype, offset of the IP header) of a frame; None for what is not IP."""
    if linktype in (RAW_IP, RAW_IP_OPENBSD, RAW_IP_LINUX, LOOPBACK, LOOPBACK_OPENBSD):
        offset = 4 if linktype in (LOOPBACK, LOOPBACK_OPENBSD) else 0
        ethertype = IP_VERSIONS.get(data[offset] >> 4 if len(data) > offset else 0)
        return None if ethertype is None else (ethertype, offset)
    if linktype == LINUX_SLL:
        offset = 14
    elif linktype == ETHERNET:
        offset = 12
    else:
        return None
    ethertype = int.from_bytes(data[offset : offset + 2], "big")
    while ethertype in VLAN_TYPES:
        offset += 4
        ethertype = int.from_bytes(data[offset : offset + 2], "big")
    return ethertype, offset + 2


def endpoints(linktype: int, data: bytes) -> Endpoints | None:
    """The protocol and both ends of a frame; None when it is not IPv4 or IPv6."""
    layer = _network_layer(linktype, data)
    if layer is None:
        return None
    ethertype, offset = layer
    try:
        if ethertype == 0x0800:
            header_length = (data[offset] & 0x0F) * 4
            protocol = data[offset + 9]
            first_fragment = int.from_bytes(data[offset + 6 : offset + 8], "big") & 0x1FFF == 0
            source: Address = ipaddress.IPv4Address(data[offset + 12 : offset + 16])
            destination: Address = ipaddress.IPv4Address(data[offset + 16 : offset + 20])
            transport = offset + header_length if first_fragment else None
        elif ethertype == 0x86DD:
            protocol = data[offset + 6]
            source = ipaddress.IPv6Address(data[offset + 8 : offset + 24])
            destination = ipaddress.IPv6Address(data[offset + 24 : offset + 40])
            transport = offset + 40
            while protocol in (*IPV6_EXTENSIONS, IPV6_FRAGMENT) and transport is not None:
                next_header = data[transport]
                if protocol == IPV6_FRAGMENT:
                    later = int.from_bytes(data[transport + 2 : transport + 4], "big") >> 3
                    transport = None if later else transport + 8
                else:
                    transport += (data[transport + 1] + 1) * 8
                protocol = next_header
        else:
            return None
    except (IndexError, ipaddress.AddressValueError):
        return None  # cut short by the snap length, or not IP after all
    ports: tuple[int | None, int | None] = (None, None)
    if transport is not None and protocol in PORTED_PROTOCOLS and len(data) >= transport + 4:
        ports = struct.unpack_from(">HH", data, transport)
    return Endpoints(protocol, (source, ports[0]), (destination, ports[1]))
