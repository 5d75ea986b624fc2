"""Live af-packet capture with the rendered config, on a veth pair into a namespace we made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.render import SuricataFacts, render_text
from ids2.suricata.socket import SuricataSocket, SuricataSocketError
from tests.support.netns import HOST_ADDRESS, VethNamespace, veth_namespace

pytestmark = [
    pytest.mark.capture,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and af-packet"),
]
RULES = (
    'alert http any any -> any any (msg:"ids2 test: http canary path"; http.uri; '
    'content:"/ids2-live-test"; sid:9100001; rev:1;)\n'
    'alert dns any any -> any any (msg:"ids2 test: dns canary name"; dns.query; '
    'content:"ids2-live-test.example"; nocase; sid:9100002; rev:1;)\n'
)


class Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


@pytest.fixture
def network() -> Iterator[VethNamespace]:
    with veth_namespace() as namespace:
        yield namespace


def wait_capturing(
    network: VethNamespace, socket_path: Path, process: subprocess.Popen[str], within: float
) -> float:
    """Seconds until Suricata counts packets on the interface (the socket opens earlier)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        network.run("ping", "-c", "1", "-W", "1", HOST_ADDRESS)
        try:
            with SuricataSocket(socket_path, timeout=2) as control:
                if control.command("iface-stat", iface=network.host_interface)["pkts"] > 0:
                    return time.monotonic() - started
        except SuricataSocketError:
            time.sleep(0.2)
    raise AssertionError("Suricata never counted a packet on the capture interface")


def alerts(ram: Path) -> list[dict[str, object]]:
    events = [
        json.loads(line)
        for path in ram.glob("eve*.json")
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    return [event for event in events if event.get("event_type") == "alert"]


def test_http_and_dns_alerts_from_live_traffic(network: VethNamespace, tmp_path: Path) -> None:
    ram = tmp_path / "ram"
    ram.mkdir()
    socket_path = tmp_path / "suricata.socket"
    document = {
        "sensor": {
            "interface": network.host_interface,
            "workers": 1,
            "unix_socket": str(socket_path),
            "home_networks": ["10.199.77.0/24"],
        },
        "ramdisk": {"mount_point": str(ram)},
    }
    machine = Machine(os.cpu_count() or 1, 8192, frozenset({network.host_interface}))
    config_file = tmp_path / "suricata.yaml"
    config_file.write_text(
        render_text(validate_document(document, "test", machine), SuricataFacts.of_this_machine())
    )
    (tmp_path / "test.rules").write_text(RULES)
    server = ThreadingHTTPServer((HOST_ADDRESS, 8080), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    suricata = subprocess.Popen(
        [
            "suricata",
            "-c",
            str(config_file),
            "--af-packet",
            "-l",
            str(tmp_path),
            "-S",
            str(tmp_path / "test.rules"),
            "--pidfile",
            str(tmp_path / "suricata.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = wait_capturing(network, socket_path, suricata, 60)
        print(f"Suricata capturing {ready:.1f} s after start")
        sent = time.monotonic()
        http = network.run(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"http://{HOST_ADDRESS}:8080/ids2-live-test",
        )
        assert http.stdout == "200", http.stderr
        network.run(
            "python3",
            "-c",
            (
                "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "q = bytes.fromhex('abcd01000001000000000000') + b'\\x0eids2-live-test\\x07example"
                "\\x00\\x00\\x01\\x00\\x01'; "
                f"s.sendto(q, ('{HOST_ADDRESS}', 53))"
            ),
        )
        seen: set[object] = set()
        while time.monotonic() - sent < 10 and seen != {9100001, 9100002}:
            seen = {alert["alert"]["signature_id"] for alert in alerts(ram)}  # type: ignore[index]
            time.sleep(0.2)
        elapsed = time.monotonic() - sent
        print(f"alerts {sorted(seen)} in the EVE file {elapsed:.1f} s after the traffic")
        assert seen == {9100001, 9100002}
    finally:
        suricata.terminate()
        suricata.wait(timeout=30)
        server.shutdown()
        server.server_close()
