"""A test host in a network namespace of our own, joined to this one by a veth pair.

Traffic between the two ends stays inside this machine; the namespace and the pair are
always deleted afterwards.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

HOST_ADDRESS = "10.199.77.1"
PEER_ADDRESS = "10.199.77.2"


@dataclass(frozen=True)
class VethNamespace:
    """`host_interface` is ours (Suricata captures on it); the peer lives in `namespace`."""

    namespace: str
    host_interface: str

    def run(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace."""
        return subprocess.run(
            ["ip", "netns", "exec", self.namespace, *command],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def veth_namespace() -> Iterator[VethNamespace]:
    suffix = uuid.uuid4().hex[:6]
    namespace, host, peer = f"ids2t-{suffix}", f"ids2h{suffix}", f"ids2p{suffix}"
    _ip("netns", "add", namespace)
    try:
        _ip("link", "add", host, "type", "veth", "peer", "name", peer)
        _ip("link", "set", peer, "netns", namespace)
        _ip("addr", "add", f"{HOST_ADDRESS}/24", "dev", host)
        _ip("link", "set", host, "up")
        for args in (
            ["addr", "add", f"{PEER_ADDRESS}/24", "dev", peer],
            ["link", "set", peer, "up"],
            ["link", "set", "lo", "up"],
        ):
            _ip("-n", namespace, *args)
        # Offloads would hand Suricata merged super-packets it cannot checksum.
        subprocess.run(
            ["ethtool", "-K", host, "gro", "off", "lro", "off", "tso", "off"],
            capture_output=True,
            check=False,
        )
        yield VethNamespace(namespace, host)
    finally:
        subprocess.run(["ip", "link", "del", host], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
