"""`ids2 rollback` puts back the rendered units as phase B installs them: the RAM disk's
mount unit under the name its mount point gives it, and each drop-in, then a daemon-reload
and what follows it. systemd is not PID 1 here: systemctl is a script on PATH that records
what it is asked, and the units go to a directory of the test's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ids2.common.apply import apply_files
from ids2.config.load import Config
from ids2.deploy.history import ConfigHistory
from ids2.deploy.phases import DeployContext, install_rendered_units
from ids2.deploy.render import render_all
from ids2.deploy.rollback import rollback
from ids2.system.dropins import DROPIN_NAME, TIMER
from ids2.system.unit_names import mount_unit_name
from tests.integration.deploy.sensor_config import config_in
from tests.support.fake_command import recording_command

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the deploy installs units as root only"),
]


def config(tmp_path: Path, calendar: str, size_mb: int) -> Config:
    return config_in(
        tmp_path,
        sensor={"rules": {"update_calendar": calendar}},
        ramdisk={"mount_point": str(tmp_path / "ram disk"), "size_mb": size_mb},
    )


def deploy(context: DeployContext) -> None:
    """Phase B's apply and units, and phase F's record."""
    files = render_all(context.config)
    apply_files(files, context.rendered_dir)
    install_rendered_units(context)
    history = ConfigHistory(Path(context.config["deploy"]["history_dir"]))
    history.record(context.rendered_dir, [f.name for f in files], "deploy: configs verified")


def test_rollback_reinstalls_the_units_and_reloads_systemd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The RAM disk's unit is active, as on a sensor: a changed one is reloaded (remounted).
    calls = recording_command(
        tmp_path, monkeypatch, "systemctl", '[ "$1" = is-active ] && echo active\nexit 0'
    )
    for module in ("ids2.deploy.phases", "ids2.system.dropins"):
        monkeypatch.setattr(f"{module}.systemd_is_running", lambda: True)
    (tmp_path / "ram disk").mkdir()
    systemd_dir = tmp_path / "systemd"
    mount = mount_unit_name(str(tmp_path / "ram disk"))  # systemd-escape's \x20 for the space
    good = DeployContext(config(tmp_path, "daily", 512), systemd_dir=systemd_dir)
    deploy(good)
    good_timer = (systemd_dir / f"{TIMER}.d" / DROPIN_NAME).read_text()
    good_unit = (systemd_dir / mount).read_text()
    later = DeployContext(config(tmp_path, "*-*-* 04:30:00", 256), systemd_dir=systemd_dir)
    deploy(later)
    assert "size=256m" in (systemd_dir / mount).read_text()
    calls.unlink()

    summary = rollback(DeployContext(later.config, systemd_dir=systemd_dir), "HEAD~1")
    assert summary.endswith("; rule timer rescheduled; RAM disk remounted"), summary
    assert (systemd_dir / f"{TIMER}.d" / DROPIN_NAME).read_text() == good_timer
    assert [p.name for p in systemd_dir.glob("*.mount")] == [mount]
    assert (systemd_dir / mount).read_text() == good_unit
    assert calls.read_text().splitlines() == [
        "daemon-reload",
        f"try-restart {TIMER}",
        f"is-active {mount}",
        f"reload {mount}",
    ]
