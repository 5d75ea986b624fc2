"""Config keys that reach the units the package ships, through rendered drop-ins."""

from __future__ import annotations

from pathlib import Path

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.system.dropins import DROPIN_NAME, install_units, owner_follows_options
from ids2.system.render import (
    HEADER,
    MOUNT_UNIT,
    SURICATA_DROPIN,
    TARGET_DROPIN,
    TIMER_DROPIN,
    USERS_DROPIN,
    mount_options,
    render,
)


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
    assert "Options=size=512m," in rendered(config_with({}))[MOUNT_UNIT]
    assert "Options=size=768m," in rendered(config_with({"ramdisk": {"size_mb": 768}}))[MOUNT_UNIT]


def test_the_ram_disk_and_its_users_follow_mount_point() -> None:
    files = rendered(config_with({"ramdisk": {"mount_point": "/srv//ids2-ram/"}}))
    assert "\nWhere=/srv/ids2-ram\n" in files[MOUNT_UNIT]
    unit = "srv-ids2\\x2dram.mount"
    assert files[TARGET_DROPIN].endswith(f"[Unit]\nWants={unit}\n")
    assert f"\nRequires={unit}\nAfter={unit}\n" in files[SURICATA_DROPIN]
    assert files[SURICATA_DROPIN].endswith('\nReadWritePaths="/srv/ids2-ram"\n')
    assert files[USERS_DROPIN].endswith(
        f'[Unit]\nAfter={unit}\n\n[Service]\nReadWritePaths="-/srv/ids2-ram"\n'
    )


def test_specifiers_and_spaces_in_the_path_stay_literal() -> None:
    files = rendered(config_with({"ramdisk": {"mount_point": "/srv/ram 100%"}}))
    assert "\nWhere=/srv/ram 100%%\n" in files[MOUNT_UNIT]
    assert files[SURICATA_DROPIN].endswith('ReadWritePaths="/srv/ram 100%%"\n')


def test_the_ram_disk_is_group_writable_for_ids2_only_where_the_group_exists() -> None:
    assert mount_options(64, 999) == "size=64m,mode=0775,gid=999,nosuid,nodev,noexec"
    assert mount_options(64, None) == "size=64m,mode=0755,nosuid,nodev,noexec"


def test_the_ram_disk_belongs_to_suricatas_user_where_it_exists() -> None:
    assert mount_options(64, 999, 998) == "size=64m,uid=998,mode=0775,gid=999,nosuid,nodev,noexec"


def write_rendered(output: Path, document: dict[str, object]) -> None:
    output.mkdir(exist_ok=True)
    for name, content in rendered(config_with(document)).items():
        (output / name).write_text(content)


def test_install_copies_what_changed_next_to_its_unit(tmp_path: Path) -> None:
    output, systemd = tmp_path / "rendered", tmp_path / "systemd"
    write_rendered(output, {"ramdisk": {"size_mb": 64}})
    users = ["ids2-resource.service", "ids2-verify.service", "ids2-deploy.service"]
    installed = install_units(output, systemd)
    assert installed.units == [
        "ids2-rules-update.timer",
        "ids2.target",
        "suricata.service",
        *users,
        "mnt-ram_logs.mount",
    ]
    assert "size=64m" in (systemd / "mnt-ram_logs.mount").read_text()
    assert "Wants=mnt-ram_logs.mount" in (systemd / "ids2.target.d" / DROPIN_NAME).read_text()
    assert install_units(output, systemd).units == []
    write_rendered(output, {})
    assert install_units(output, systemd).units == ["mnt-ram_logs.mount"]
    assert "size=512m" in (systemd / "mnt-ram_logs.mount").read_text()


def test_a_new_path_replaces_our_mount_unit_and_leaves_others(tmp_path: Path) -> None:
    output, systemd = tmp_path / "rendered", tmp_path / "systemd"
    write_rendered(output, {})
    install_units(output, systemd)
    (systemd / "data.mount").write_text("[Mount]\nWhat=/dev/sda1\nWhere=/data\n")
    write_rendered(output, {"ramdisk": {"mount_point": "/srv/ram"}})
    installed = install_units(output, systemd)
    assert sorted(path.name for path in systemd.glob("*.mount")) == ["data.mount", "srv-ram.mount"]
    assert (systemd / "srv-ram.mount").read_text().startswith(HEADER)
    assert "mnt-ram_logs.mount" in installed.units and "srv-ram.mount" in installed.units
    assert installed.mount_point == Path("/srv/ram")
    # Nothing is mounted at the old path here, so there is nothing to move.
    assert installed.old_points == []


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
