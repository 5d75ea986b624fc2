"""The sd_notify protocol spoken for real over a unix datagram socket, as systemd hears it."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.notify_listener import NotifyListener
from tests.support.ports import free_port

ROOT_DIR = Path(__file__).resolve().parents[3]
WATCHDOG_SECONDS = 1.0


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    listener = NotifyListener(tmp_path / "notify.sock")
    yield listener
    listener.close()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text((ROOT_DIR / "etc/ids2/config.yaml").read_text())
    return path


def start(command: list[str], listener: NotifyListener, tmp_path: Path) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        NOTIFY_SOCKET=str(listener.path),
        WATCHDOG_USEC=str(int(WATCHDOG_SECONDS * 1_000_000)),
        IDS2_RUNTIME_DIR=str(tmp_path / "run"),
        PYTHONPATH=str(ROOT_DIR),
    )
    return subprocess.Popen(command, env=env, cwd=ROOT_DIR, stderr=subprocess.PIPE, text=True)


def stop_within_two_seconds(process: subprocess.Popen[str], listener: NotifyListener) -> None:
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    listener.wait_for("STOPPING", timeout=2.0)
    assert process.wait(timeout=2.0 - (time.monotonic() - sent)) == 0


@pytest.fixture
def tick(
    listener: NotifyListener, config_file: Path, tmp_path: Path
) -> Iterator[subprocess.Popen[str]]:
    command = [
        sys.executable,
        "-m",
        "tests.support.tick_controller",
        str(config_file),
        str(tmp_path / "block"),
    ]
    process = start(command, listener, tmp_path)
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_ready_then_watchdog_at_half_the_period(
    tick: subprocess.Popen[str], listener: NotifyListener
) -> None:
    ready = listener.wait_for("READY")
    assert ready["STATUS"] == "tick 1"
    since = time.monotonic()
    listener.drain(3.0)
    pings = listener.times_of("WATCHDOG", since)
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    assert 4 <= len(pings) <= 8, pings
    assert max(gaps) < WATCHDOG_SECONDS, gaps
    assert min(gaps) > WATCHDOG_SECONDS / 2 * 0.9, gaps
    assert any(fields.get("STATUS", "").startswith("tick ") for _, fields in listener.messages)
    stop_within_two_seconds(tick, listener)


def test_sighup_reloads_and_keeps_old_config_when_invalid(
    tick: subprocess.Popen[str], listener: NotifyListener, config_file: Path, tmp_path: Path
) -> None:
    listener.wait_for("READY")
    tick.send_signal(signal.SIGHUP)
    listener.wait_for("RELOADING")
    assert listener.wait_for("READY")["STATUS"] == f"reloaded {config_file}"

    config_file.write_text("sensor:\n  workers: many\n")
    tick.send_signal(signal.SIGHUP)
    listener.wait_for("RELOADING")
    refused = listener.wait_for("READY")
    assert refused["STATUS"].startswith("reload refused: 1 problem(s)")
    reload_state = (tmp_path / "run" / "tick-reload.json").read_text()
    assert "at 'sensor.workers'" in reload_state
    since = time.monotonic()
    listener.drain(1.5)
    assert listener.times_of("WATCHDOG", since), "the controller must keep running"
    stop_within_two_seconds(tick, listener)
    assert "reload refused, keeping the previous configuration" in (tick.stderr or "").read()


def test_a_blocked_loop_stops_the_watchdog(
    tick: subprocess.Popen[str], listener: NotifyListener, tmp_path: Path
) -> None:
    listener.wait_for("READY")
    (tmp_path / "block").touch()
    time.sleep(0.5)  # let the current step reach the block
    since = time.monotonic()
    listener.drain(2.5)
    assert listener.times_of("WATCHDOG", since) == []
    assert tick.poll() is None


def test_no_notify_socket_runs_silently(config_file: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update(IDS2_RUNTIME_DIR=str(tmp_path / "run"), PYTHONPATH=str(ROOT_DIR))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.tick_controller",
            str(config_file),
            str(tmp_path / "block"),
        ],
        env=env,
        cwd=ROOT_DIR,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not (tmp_path / "run" / "tick.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=2) == 0
    assert (tmp_path / "run" / "tick.json").exists()


@pytest.mark.parametrize("name", ["resource", "connectivity", "metrics", "verify"])
def test_every_controller_speaks_the_protocol(
    name: str, listener: NotifyListener, tmp_path: Path
) -> None:
    """Each real controller: READY after its first step, watchdog pings, clean SIGTERM."""
    (tmp_path / "ram" / "canary").mkdir(parents=True)
    config = tmp_path / "controller.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "metrics": {"port": free_port()},
                "ramdisk": {"mount_point": str(tmp_path / "ram")},
                "shipping": {"spool": {"directory": str(tmp_path)}},
            }
        )
    )
    process = start(
        [sys.executable, "-m", "ids2", "run", name, "--config", str(config)], listener, tmp_path
    )
    try:
        ready = listener.wait_for("READY", timeout=20)
        assert ready["STATUS"]
        since = time.monotonic()
        listener.drain(1.6)
        assert len(listener.times_of("WATCHDOG", since)) >= 2
        stop_within_two_seconds(process, listener)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
