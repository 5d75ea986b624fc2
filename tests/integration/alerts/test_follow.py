"""`ids2 alerts --follow`: a real Suricata alert appended to alerts.json.* shows within a second."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.alerts.conftest import Replayed

pytestmark = pytest.mark.integration


def test_a_new_alert_shows_within_a_second(replayed: Replayed, tmp_path: Path) -> None:
    ram, spool = tmp_path / "ram", tmp_path / "spool"
    ram.mkdir()
    spool.mkdir()
    live = ram / "alerts.json.1796378400"
    alert = replayed.alerts[-1]
    live.write_text(json.dumps(alert) + "\n")  # there before the start: not shown
    config = tmp_path / "config.yaml"
    config.write_text(
        f"ramdisk:\n  mount_point: {ram}\nshipping:\n  spool:\n    directory: {spool}\n"
    )
    environment = {**os.environ, "IDS2_CONFIG": str(config)}
    command = [sys.executable, "-m", "ids2", "alerts", "--follow", "--sid"]
    sid = str(alert["alert"]["signature_id"])
    with subprocess.Popen(
        [*command, sid], stdout=subprocess.PIPE, text=True, env=environment
    ) as process:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            time.sleep(3)  # started and past its first look at the RAM disk
            assert not selector.select(timeout=0), "an alert from before the start"
            with live.open("a") as handle:
                handle.write(json.dumps(alert) + "\n")
            written = time.monotonic()
            assert selector.select(timeout=1.0), "nothing within a second"
            line = process.stdout.readline()
            assert time.monotonic() - written < 1.0
        finally:
            process.terminate()
    assert f"  sid {sid}  {alert['alert']['signature']}  " in line
