"""Canary events: valid EVE lines that prove the pipeline from the RAM disk to the sink.

The verify controller appends one to its own file on the RAM disk (never Suricata's, so
their writes cannot interleave); Vector reads it like any EVE file and the ECS transform
marks it (event.dataset ids2.canary, tag ids2-canary) so dashboards can leave it out.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

CANARY_EVENT_TYPE = "ids2_canary"
CANARY_DIRECTORY = "canary"
CANARY_FILE = "ids2-canary.json"


def canary_path(mount_point: Path) -> Path:
    """Where canaries are written: a directory of their own on the RAM disk."""
    return mount_point / CANARY_DIRECTORY / CANARY_FILE


def canary_line(canary_id: str, now: float) -> bytes:
    """One EVE line, timestamped the way Suricata writes it."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    event = {
        "timestamp": f"{stamp}.{int(now % 1 * 1e6):06d}+0000",
        "event_type": CANARY_EVENT_TYPE,
        "host": socket.gethostname(),
        "ids2": {"canary_id": canary_id},
    }
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"


def send_canary(mount_point: Path, now: float) -> str:
    """Append a new canary with one write (O_APPEND) and return its id."""
    # 128 random bits, as uuid4 would give: importing uuid brings platform, 0.14 MB
    # (measured) that the verify controller would keep for good.
    canary_id = os.urandom(16).hex()
    path = canary_path(mount_point)
    path.parent.mkdir(mode=0o755, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, canary_line(canary_id, now))
    finally:
        os.close(descriptor)
    return canary_id
