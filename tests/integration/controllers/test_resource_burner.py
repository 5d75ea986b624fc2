"""The resource controller as a real process, driven by real CPU burners."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml

pytestmark = pytest.mark.integration
INTERVAL = 0.5


def thresholds_above_the_current_load() -> dict[str, object]:
    """Levels placed above what the machine does now, so other work cannot fake a level."""
    baseline = psutil.cpu_percent(interval=1.0)
    if baseline > 50:
        pytest.skip(f"the machine is {baseline:.0f} % busy: no room to measure throttling")
    first = int(baseline) + 20
    return {
        "sample_interval_seconds": INTERVAL,
        "smoothing_samples": 1,
        "hysteresis_percent": 5,
        "hard_limit_percent": 99,
        "level1": {"threshold_percent": first},
        "level2": {"threshold_percent": first + 10},
        "level3": {"threshold_percent": first + 20},
    }


@pytest.fixture
def resource(tmp_path: Path) -> Iterator[Path]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"resources": thresholds_above_the_current_load()}))
    env = dict(os.environ, IDS2_RUNTIME_DIR=str(tmp_path / "run"))
    process = subprocess.Popen(
        [sys.executable, "-m", "ids2", "run", "resource", "--config", str(config)], env=env
    )
    yield tmp_path / "run" / "resource.json"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0


def level(state_file: Path) -> int:
    try:
        return int(json.loads(state_file.read_text())["level"])
    except (OSError, ValueError, KeyError):
        return -1


def wait_for_level(state_file: Path, wanted: int, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if level(state_file) == wanted:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"level {level(state_file)}, not {wanted}, after {within} s")


def test_level_rises_under_load_and_falls_after(resource: Path) -> None:
    wait_for_level(resource, 0, within=10)
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        # Two sampling intervals, plus the time a state write takes to land.
        rose_after = wait_for_level(resource, 3, within=2 * INTERVAL + 0.5)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    fell_after = wait_for_level(resource, 0, within=10)
    print(f"level 3 after {rose_after:.2f} s of load, level 0 {fell_after:.2f} s after it ended")
    state = json.loads(resource.read_text())
    assert state["shipping_pace"] == "normal"
    assert set(state["actions"]) >= {"suricata"}
