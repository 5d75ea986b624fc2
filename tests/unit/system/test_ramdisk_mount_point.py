"""`ramdisk.mount_point`: every consumer of the RAM disk takes the configured path, status
names the mount unit of that path, which the appliance mounts (no warning)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ids2.common.stack_files import stack_dir
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.controllers.resource import ResourceController
from ids2.shipping.vector import CONTAINER_RAMDISK
from ids2.stack.render import stack_environment
from ids2.state import StateStore
from ids2.status.facts import units
from ids2.suricata.render import SuricataFacts, suricata_config
from tests.support.recording_actions import RecordingActions

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


def config_at(mount_point: Path | str) -> Config:
    return validate_document({"ramdisk": {"mount_point": str(mount_point)}}, "t", MACHINE)


def test_suricata_writes_its_eve_files_there(tmp_path: Path) -> None:
    rendered = suricata_config(config_at(tmp_path), SuricataFacts(4, False, "sensor-a"))
    filenames = [output["eve-log"]["filename"] for output in rendered["outputs"][:2]]
    assert [Path(name).parent for name in filenames] == [tmp_path, tmp_path]


def test_vector_is_given_that_directory_as_its_ram_disk(tmp_path: Path) -> None:
    assert stack_environment(config_at(tmp_path))["IDS2_RAMDISK"] == str(tmp_path)
    compose = yaml.safe_load((stack_dir() / "docker-compose.yml").read_text())
    volumes = compose["services"]["vector"]["volumes"]
    assert f"${{IDS2_RAMDISK:?run ids2 deploy}}:{CONTAINER_RAMDISK}" in volumes


def test_the_resource_controller_guards_that_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotated EVE file above the high-water mark goes from the configured directory.
    The file system's fill is a double (a real one would need a full tmpfs)."""
    ramdisk = tmp_path / "ram"
    ramdisk.mkdir()
    rotated = ramdisk / "eve-20260101T000000.json"
    rotated.write_text('{"event_type": "flow"}\n')
    (ramdisk / "eve-20260101T000100.json").write_text("")  # the one Suricata writes now
    monkeypatch.setattr("psutil.cpu_percent", lambda percpu=False: [0.0])
    monkeypatch.setattr("psutil.virtual_memory", lambda: SimpleNamespace(percent=20.0))
    monkeypatch.setattr("ids2.system.ramdisk.usage_ratio", lambda mount_point: 0.99)
    config = validate_document(
        {"ramdisk": {"mount_point": str(ramdisk), "high_water_percent": 50}}, "t", MACHINE
    )
    controller = ResourceController(config, StateStore(tmp_path / "run"), RecordingActions())
    controller.setup()
    controller.step()
    assert not rotated.exists()
    assert controller.ramdisk.lost_events_total == 1


def test_status_reports_the_mount_unit_of_that_path() -> None:
    assert units(config_at("/mnt/ram_logs"))[1] == "mnt-ram_logs.mount"
    assert units(config_at("/srv/ids2-ram"))[1] == "srv-ids2\\x2dram.mount"


def test_another_path_is_no_warning_now_that_the_appliance_mounts_it() -> None:
    assert config_at("/mnt/ram_logs").warnings == []
    assert config_at("/srv/ram").warnings == []
