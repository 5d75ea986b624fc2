"""The stage's steps run for real on a Debian 13 trixie root, which then boots under QEMU
with a boot partition holding an ids2.yaml: first a good one, then, on the same disk, a
broken one.

pi-gen cannot run here (no Raspberry Pi archive), so run_stage.sh stands in for its build.sh
with the step semantics its README documents, and a debootstrapped amd64 trixie root with
our amd64 trixie package stands in for stage2's arm64 Raspberry Pi OS (trixie too).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.system.basics import package
from tests.system.rootfs import base_rootfs, host_arch, install_reporter, make_disk
from tests.system.vm import VirtualMachine, boot

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap, chroot and mounts need root"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="needs QEMU"),
    pytest.mark.skipif(
        shutil.which("mkfs.vfat") is None or shutil.which("mcopy") is None,
        reason="needs dosfstools and mtools for the boot partition",
    ),
]
ROOT_DIR = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GOOD = """\
sensor:
  home_networks: ["10.20.0.0/16"]
secrets:
  opensearch_username: sensor
  opensearch_password: s3cret-from-boot
"""
BROKEN = "sensor:\n  workers: lots\n"
BOOT_TIMEOUT_SECONDS = 600
STAND_IN_IMAGE = "localhost/ids2-stand-in:1"


def stand_in_for_stage2(root: Path) -> None:
    """What stage2's Raspberry Pi OS has and plain Debian lacks, and the test's reporter."""
    (root / "boot/firmware").mkdir(parents=True, exist_ok=True)
    (root / "boot/firmware/config.txt").write_text("# stand-in for stage1's config.txt\n[all]\n")
    with (root / "etc/fstab").open("a") as fstab:
        fstab.write("/dev/vdb /boot/firmware vfat defaults 0 0\n")
    install_reporter(
        root,
        "ids2-test-report.service",
        HERE / "firstboot_report.sh",
        after="ids2-firstboot.service ids2.target",
    )


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def saved_image_stand_in(path: Path) -> None:
    """A one-file image in `docker save`'s format: a stand-in for the stack's saved images,
    which are pulled from Docker Hub at image build time and cannot be pulled here."""
    layer = _tar({"ids2-stand-in.txt": b"stand-in for a saved stack image\n"})
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/ids2-stand-in.txt"]},
            "rootfs": {
                "type": "layers",
                "diff_ids": [f"sha256:{hashlib.sha256(layer).hexdigest()}"],
            },
        }
    ).encode()
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    manifest = [{"Config": config_name, "RepoTags": [STAND_IN_IMAGE], "Layers": ["layer.tar"]}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        _tar(
            {
                "layer.tar": layer,
                config_name: config,
                "manifest.json": json.dumps(manifest).encode(),
            }
        )
    )


def boot_partition(path: Path, ids2_yaml: str) -> Path:
    """A FAT image holding ids2.yaml, made without loop mounts."""
    subprocess.run(["mkfs.vfat", "-n", "BOOTFS", "-C", str(path), "16384"], check=True)
    source = path.with_suffix(".ids2.yaml")
    source.write_text(ids2_yaml)
    subprocess.run(["mcopy", "-i", str(path), str(source), "::ids2.yaml"], check=True)
    return path


def boot_files(path: Path) -> set[str]:
    listing = subprocess.run(
        ["mdir", "-b", "-i", str(path), "::"], capture_output=True, text=True, check=True
    ).stdout
    return {line.strip().removeprefix("::/") for line in listing.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def stage_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root file system after our stage ran on a stand-in for stage2's root."""
    tmp_path = tmp_path_factory.mktemp("image")
    started = time.monotonic()
    deb = package("trixie", host_arch())
    previous = base_rootfs(tmp_path / "stage2-rootfs")
    stand_in_for_stage2(previous)
    stage = tmp_path / "stage-ids2"
    shutil.copytree(ROOT_DIR / "image/stage-ids2", stage, symlinks=True)
    (stage / "00-ids2/files").mkdir()
    shutil.copy(deb, stage / "00-ids2/files/ids2.deb")
    saved_image_stand_in(stage / "02-container-images/files/images/ids2-stand-in.tar")
    subprocess.run(
        [str(HERE / "run_stage.sh"), str(stage), str(tmp_path / "work"), str(previous)],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=2400,
    )
    shutil.rmtree(previous)
    print(f"stage ran with {deb.name} in {time.monotonic() - started:.0f} s")
    return tmp_path / "work/stage-ids2/rootfs"


def test_the_stage_installs_the_package_and_enables_the_sensor(stage_root: Path) -> None:
    status = (stage_root / "var/lib/dpkg/status").read_text()
    assert "Package: ids2\nStatus: install ok installed\n" in status
    assert (stage_root / "usr/lib/systemd/system/ids2-firstboot.service").is_file()
    enabled = stage_root / "etc/systemd/system"
    assert (enabled / "multi-user.target.wants/ids2.target").is_symlink()
    assert (enabled / "ids2.target.wants/ids2-firstboot.service").is_symlink()
    assert not (stage_root / "var/tmp/ids2-image").exists()


def test_the_stage_writes_the_pi5_settings(stage_root: Path) -> None:
    connection = stage_root / "etc/NetworkManager/system-connections/ids2-capture.nmconnection"
    assert connection.stat().st_mode & 0o777 == 0o600
    assert (stage_root / "etc/systemd/journald.conf.d/50-ids2.conf").is_file()
    assert (stage_root / "etc/rpi/swap.conf.d/50-ids2.conf").is_file()
    config_txt = (stage_root / "boot/firmware/config.txt").read_text()
    assert config_txt.count("dtoverlay=disable-wifi") == 1
    assert (stage_root / "var/lib/ids2/images/ids2-stand-in.tar").is_file()


def _boot_once(root: Path, disk: Path, fat: Path, log: Path) -> VirtualMachine:
    vm = boot(root, disk, log, free_port(), extra_disks=[fat], isolated=True)
    try:
        started = time.monotonic()
        vm.wait_for("finished", BOOT_TIMEOUT_SECONDS)
        vm.process.wait(timeout=120)  # the reporter powers the guest off: a clean disk
        print(f"{log.name}: reported and powered off after {time.monotonic() - started:.0f} s")
    finally:
        vm.stop()
    return vm


def test_first_boot_takes_a_good_file_then_refuses_a_broken_one(
    stage_root: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.raw"
    make_disk(stage_root, disk)

    good = _boot_once(
        stage_root, disk, boot_partition(tmp_path / "good.fat", GOOD), tmp_path / "good.log"
    )
    values, console = good.values, good.text()
    assert values["firstboot_result"] == "success"
    assert values["home_networks"] == "['10.20.0.0/16']"
    assert values["boot_file_left"] == "no" and values["rejected_kept"] == "no"
    assert values["secrets_mode"] == "600" and values["secrets_has_password"] == "yes"
    assert values["config_has_password"] == "no"
    assert values["motd_banner"] == "yes"
    assert "merged into /etc/ids2/config.yaml, 2 secret(s) moved" in values["status_first_boot"]
    assert (
        "ids2 sensor ids2-test" in console
        and "admin password: sudo ids2 status --secrets" in console
    )
    assert "ids2.yaml" not in boot_files(tmp_path / "good.fat")
    assert "address:        172.17." not in console  # Docker's bridge is nobody's way in
    assert "loaded 1 saved container image(s)" in values["status_first_boot"]
    assert values["stand_in_image"].startswith("sha256:") and values["images_left"] == "0"

    broken = _boot_once(
        stage_root, disk, boot_partition(tmp_path / "broken.fat", BROKEN), tmp_path / "broken.log"
    )
    values, console = broken.values, broken.text()
    assert values["firstboot_exit"] == "2"
    assert "at 'sensor.workers': expected a whole number from 1 to 64, got 'lots'" in console
    assert values["rejected_kept"] == "yes" and values["boot_file_left"] == "no"
    assert "sensor.workers" in values["errors_file"]
    assert "REJECTED" in values["status_first_boot"]
    assert "no saved container images" in values["status_first_boot"]
    assert values["home_networks"] == "['10.20.0.0/16']"  # the previous (first boot's) config
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert values[f"state_{name}"] == "active", name
    assert {"ids2.yaml.rejected", "ids2.yaml.errors.txt"} <= boot_files(tmp_path / "broken.fat")
