"""Config keys that reach the units the package ships, through rendered drop-ins."""

from __future__ import annotations

from pathlib import Path

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.system.dropins import DROPIN_NAME, install_dropins, owner_follows_options
from ids2.system.render import MOUNT_DROPIN, TIMER_DROPIN, mount_options, render


def config_with(document: dict[str, object]) -> Config:
    return validate_document(document, "test", Machine(4, 8192, frozenset({"eth0"})))


def rendered(config: Config) -> dict[str, str]:
    return {file.name: file.content for file in render(config)}


def test_the_rule_timer_follows_update_calendar() -> None:
    timer = rendered(config_with({"sensor": {"rules": {"update_calendar": "*-*-* 03:30"}}}))
    # Emptied first, or the unit's own OnCalendar=daily would stay beside ours.
    assert timer[TIMER_DROPIN].endswith("[Timer]\nOnCalendar=\nOnCalendar=*-*-* 03:30\n")
    assert "OnCalendar=daily" in rendered(config_with({}))[TIMER_DROPIN]


def test_the_ram_disk_follows_size_mb() -> None:
    assert "Options=size=512m," in rendered(config_with({}))[MOUNT_DROPIN]
    assert (
        "Options=size=768m," in rendered(config_with({"ramdisk": {"size_mb": 768}}))[MOUNT_DROPIN]
    )


def test_the_ram_disk_is_group_writable_for_ids2_only_where_the_group_exists() -> None:
    assert mount_options(64, 999) == "size=64m,mode=0775,gid=999,nosuid,nodev,noexec"
    assert mount_options(64, None) == "size=64m,mode=0755,nosuid,nodev,noexec"


def test_the_ram_disk_belongs_to_suricatas_user_where_it_exists() -> None:
    assert mount_options(64, 999, 998) == "size=64m,uid=998,mode=0775,gid=999,nosuid,nodev,noexec"


def test_install_copies_what_changed_next_to_its_unit(tmp_path: Path) -> None:
    output, systemd = tmp_path / "rendered", tmp_path / "systemd"
    output.mkdir()
    for name, content in rendered(config_with({"ramdisk": {"size_mb": 64}})).items():
        (output / name).write_text(content)
    assert install_dropins(output, systemd) == ["ids2-rules-update.timer", "mnt-ram_logs.mount"]
    assert "size=64m" in (systemd / "mnt-ram_logs.mount.d" / DROPIN_NAME).read_text()
    assert install_dropins(output, systemd) == []
    (output / MOUNT_DROPIN).write_text(rendered(config_with({}))[MOUNT_DROPIN])
    assert install_dropins(output, systemd) == ["mnt-ram_logs.mount"]
    assert "size=512m" in (systemd / "mnt-ram_logs.mount.d" / DROPIN_NAME).read_text()


def test_the_mount_root_takes_the_drop_ins_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    owner_follows_options(tmp_path, "[Mount]\nOptions=size=64m,mode=0775,nosuid\n")
    assert tmp_path.stat().st_mode & 0o777 == 0o775


def test_the_mount_root_takes_the_drop_ins_owner_and_is_left_alone_when_it_has_it(
    tmp_path: Path,
) -> None:
    owner_follows_options(tmp_path, "[Mount]\nOptions=size=64m,uid=4321,mode=0775,gid=4322\n")
    assert (tmp_path.stat().st_uid, tmp_path.stat().st_gid) == (4321, 4322)
    tmp_path.chmod(0o775)
    changed = tmp_path.stat().st_ctime_ns
    owner_follows_options(tmp_path, "[Mount]\nOptions=size=64m,uid=4321,mode=0775,gid=4322\n")
    assert tmp_path.stat().st_ctime_ns == changed
