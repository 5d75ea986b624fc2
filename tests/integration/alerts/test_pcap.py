"""`ids2 alerts pcap` on real Suricata output: a corpus pcap replayed with the rendered
config and pcap-log on, the alert's flow cut from the ring, and that pcap replayed again."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from ids2.alerts.pcapfile import Packet, endpoints, read_packets, write_packets
from ids2.cli import main
from tests.integration.shipping.ecs_documents import as_vector_json
from tests.integration.shipping.ecs_vrl import transform
from tests.integration.suricata.test_pcap_replay import CORPUS, MANIFEST, rendered_config, replay

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
# The ring holds a flow from its first alert on, without the TCP handshake before it.
MIDSTREAM = ["--set", "stream.midstream=true"]
RING_FILE_MB, RING_FILES = 4, 2


def case(name: str) -> tuple[Path, list[Path], list[str]]:
    """The corpus pcap, rules and Suricata arguments of one suricata-verify test."""
    entry = next(entry for entry in MANIFEST if entry["name"] == name)
    directory = CORPUS / name
    args = [part for arg in entry["args"] or [] for part in shlex.split(arg)]
    return directory / entry["pcap"], [directory / rule for rule in entry["rules"]], args


def sensor_config(tmp_path: Path, **pcap: Any) -> tuple[Path, Path]:
    """(suricata.yaml with pcap-log on, the ids2 config file that names the same places)."""
    ring = tmp_path / "ring"
    ring.mkdir(exist_ok=True)
    settings = {"enabled": True, "directory": str(ring), **pcap}
    suricata = rendered_config(tmp_path, pcap=settings)
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "sensor": {"pcap": settings},
                "ramdisk": {"mount_point": str(tmp_path / "ram")},
                "shipping": {"spool": {"directory": str(tmp_path / "spool")}},
            }
        )
    )
    return suricata, config


def alerts_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event["event_type"] == "alert"]


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("http-post-file", "flow_id"),
        ("tls-duplicate-hello", "community_id"),
        ("alert-testmyids-midstream", "flow_id"),
        ("ssh-banner-only", "community_id"),
    ],
)
def test_the_cut_pcap_raises_the_same_alert(
    name: str, identifier: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap, rules, args = case(name)
    suricata, config = sensor_config(tmp_path)
    alert = alerts_of(replay(suricata, pcap, rules, args, tmp_path / "first"))[0]
    output = tmp_path / "alert.pcap"
    arguments = ["alerts", "pcap", str(alert[identifier]), "--output", str(output)]
    assert main([*arguments, "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith(f"{output}: ")
    packets = list(read_packets(output))
    ends = {alert["src_ip"], alert["dest_ip"]}
    assert packets and all(
        {str(found.source[0].exploded), str(found.destination[0].exploded)} == ends
        for found in (endpoints(packet.linktype, packet.data) for packet in packets)
        if found is not None
    )
    (tmp_path / "again").mkdir()
    plain = rendered_config(tmp_path / "again")
    again = alerts_of(replay(plain, output, rules, [*args, *MIDSTREAM], tmp_path / "again/log"))
    assert alert["alert"]["signature_id"] in {event["alert"]["signature_id"] for event in again}


def test_found_by_its_stored_id_in_the_spool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("vrl_python")
    pcap, rules, args = case("http-post-file")
    suricata, config = sensor_config(tmp_path)
    events = replay(suricata, pcap, rules, args, tmp_path / "first")
    line = json.dumps(alerts_of(events)[0])
    document = as_vector_json(transform(line))
    spool = tmp_path / "spool"
    spool.mkdir()
    day = document["@timestamp"][:10].replace("-", ".")
    (spool / f"ids2-logs-{day}.ndjson").write_text(json.dumps(document) + "\n")
    shutil.rmtree(tmp_path / "ram")  # not on the RAM disk any more: only in the spool
    (tmp_path / "ram").mkdir()
    output = tmp_path / "alert.pcap"
    arguments = ["alerts", "pcap", document["ids2"]["doc_id"], "--output", str(output)]
    assert main([*arguments, "--since", "2020-01-01", "--config", str(config)]) == 0
    assert len(list(read_packets(output))) > 1


def filler(path: Path, start: int, count: int) -> None:
    """One UDP flow of `count` incompressible 1,400-byte datagrams from `start` on."""
    header = bytes.fromhex("0200000000020200000000010800")
    payload_length = 1400

    def packet(index: int) -> Packet:
        udp = struct.pack(">HHHH", 40000, 9999, 8 + payload_length, 0) + os.urandom(payload_length)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index & 0xFFFF, 0, 64, 17, 0,
                         bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))  # fmt: skip
        checksum = sum(struct.unpack(">10H", ip))
        checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
        ip = ip[:10] + struct.pack(">H", checksum) + ip[12:]
        data = header + ip + udp
        return Packet(1, start + index // 1000, (index % 1000) * 1000, data, len(data))

    with path.open("wb") as handle:
        write_packets(handle, (packet(index) for index in range(count)))


def test_the_ring_keeps_its_cap_and_old_packets_rotate_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap, rules, args = case("http-post-file")
    suricata, config = sensor_config(
        tmp_path, max_files=RING_FILES, file_size_mb=RING_FILE_MB, compression="lz4"
    )
    alert = alerts_of(replay(suricata, pcap, rules, args, tmp_path / "first"))[0]
    ring = tmp_path / "ring"
    assert len(list(ring.iterdir())) == 1
    later = tmp_path / "filler.pcap"
    filler(later, 1767225600, 10000)  # 14 MB of one alerted flow, on 2026-01-01
    rule = tmp_path / "filler.rules"
    rule.write_text(
        'alert udp any any -> any 9999 (msg:"ids2 ring filler"; '
        "threshold: type limit, track by_src, count 1, seconds 3600; sid:9000001;)\n"
    )
    replay(suricata, later, [rule], [], tmp_path / "second")
    files = sorted(ring.iterdir())
    assert len(files) == RING_FILES
    limit = RING_FILE_MB << 20
    assert all(path.stat().st_size <= limit + (64 << 10) for path in files)
    assert sum(path.stat().st_size for path in files) > limit  # the ring was full
    output = tmp_path / "alert.pcap"
    arguments = ["alerts", "pcap", str(alert["flow_id"]), "--output", str(output)]
    assert main([*arguments, "--config", str(config)]) == 2
    assert "the packets have rotated out" in capsys.readouterr().err
    assert not output.exists()
