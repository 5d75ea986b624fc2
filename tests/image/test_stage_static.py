"""The pi-gen stage and config, checked without pi-gen: shellcheck, files, variables, export."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.system.test_unit_hardening import EXPOSURE_GOAL, exposure

ROOT_DIR = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT_DIR / "image"
STAGE = IMAGE_DIR / "stage-ids2"
SCRIPTS = [*sorted(STAGE.glob("*/[0-9][0-9]-run.sh")), STAGE / "prerun.sh"]
SHELL_FILES = [*SCRIPTS, STAGE / "EXPORT_IMAGE", IMAGE_DIR / "config", IMAGE_DIR / "build.sh"]
# What image/build.sh puts into the stage's files/ before pi-gen runs; never committed.
BUILD_PROVIDED = {"files/ids2.deb", "files/ids2-src.tar", "files/images"}

# The variables pi-gen's README (arm64 branch) says its config file may set, in our words.
PI_GEN_VARIABLES = {
    "IMG_NAME": "base name of the image file",
    "PI_GEN_RELEASE": "release name written to /etc/issue.txt",
    "RELEASE": "Debian release to build against",
    "APT_PROXY": "apt proxy used while building only",
    "TEMP_REPO": "extra apt source used while building only",
    "BASE_DIR": "pi-gen's own directory",
    "WORK_DIR": "where the stages' root file systems are built",
    "DEPLOY_DIR": "where finished images go",
    "DEPLOY_COMPRESSION": "none, zip, gz or xz",
    "DEPLOY_ZIP": "deprecated switch for compression",
    "COMPRESSION_LEVEL": "0 to 9",
    "USE_QEMU": "build an image for QEMU",
    "LOCALE_DEFAULT": "system locale",
    "TARGET_HOSTNAME": "host name",
    "KEYBOARD_KEYMAP": "console keymap",
    "KEYBOARD_LAYOUT": "console keyboard layout",
    "TIMEZONE_DEFAULT": "time zone",
    "FIRST_USER_NAME": "the first user's name, renamed at first boot unless disabled",
    "FIRST_USER_PASS": "the first user's password; unset locks the account",
    "DISABLE_FIRST_BOOT_USER_RENAME": "keep the first user's name (needs a password)",
    "PASSWORDLESS_SUDO": "sudo without a password",
    "WPA_COUNTRY": "Wi-Fi regulatory domain",
    "ENABLE_SSH": "start the SSH server",
    "PUBKEY_SSH_FIRST_USER": "authorized_keys of the first user",
    "PUBKEY_ONLY_SSH": "SSH with keys only, no passwords",
    "SETFCAP": "keep file capabilities",
    "STAGE_LIST": "the stages to run, in order",
    "EXPORT_CONFIG_DIR": "scripts run when an image is exported",
    "ENABLE_CLOUD_INIT": "install cloud-init and netplan",
}


def _config_assignments() -> dict[str, str]:
    text = (IMAGE_DIR / "config").read_text()
    return dict(re.findall(r"^\s*([A-Z][A-Z0-9_]*)=(.*)$", text, re.MULTILINE))


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="needs Debian's shellcheck")
def test_every_script_is_shellcheck_clean() -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=bash", "--severity=style", *map(str, SHELL_FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_steps_are_executable_as_pi_gen_requires() -> None:
    """pi-gen skips a NN-run.sh (and prerun.sh) that is not executable, silently."""
    for script in SCRIPTS:
        assert script.stat().st_mode & 0o111, script
        staged = subprocess.run(
            ["git", "-C", str(ROOT_DIR), "ls-files", "--stage", str(script)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert staged == "" or staged.startswith("100755 "), staged


def test_every_file_a_step_names_exists() -> None:
    for script in SCRIPTS:
        for name in re.findall(r"\bfiles/[\w./*-]+", script.read_text()):
            name = name.rstrip(".")
            if any(name.startswith(provided) for provided in BUILD_PROVIDED):
                continue
            assert list(script.parent.glob(name)), f"{script.relative_to(ROOT_DIR)}: {name}"


def test_build_script_provides_what_the_steps_expect() -> None:
    build = (IMAGE_DIR / "build.sh").read_text()
    for name in (
        "00-ids2/files/ids2.deb",
        "00-ids2/files/ids2-src.tar",
        "02-container-images/files/images",
    ):
        assert name in build, name


def test_the_config_sets_only_variables_pi_gen_knows() -> None:
    ours = {name for name in _config_assignments() if name.startswith("IDS2_")}
    unknown = set(_config_assignments()) - set(PI_GEN_VARIABLES) - ours
    assert not unknown


def test_the_config_asks_for_the_documented_image() -> None:
    values = _config_assignments()
    assert values["IMG_NAME"] == '"ids2-${IDS2_VERSION:?written by make image}-pi5"'
    assert values["RELEASE"] == "trixie"
    assert values["DEPLOY_COMPRESSION"] == "xz"
    assert values["ENABLE_SSH"] == "1"
    assert values["STAGE_LIST"] == '"stage0 stage1 stage2 stage-ids2"'
    assert values["PUBKEY_ONLY_SSH"] == "1"
    assert "FIRST_USER_PASS" not in values  # unset: pi-gen locks the account


def test_pi_gen_is_pinned_to_a_commit() -> None:
    assert re.search(r'^PI_GEN_COMMIT="[0-9a-f]{40}"$', (IMAGE_DIR / "build.sh").read_text(), re.M)


def test_the_stage_exports_an_image_and_starts_from_the_previous_root() -> None:
    assert "IMG_SUFFIX=" in (STAGE / "EXPORT_IMAGE").read_text()
    assert "copy_previous" in (STAGE / "prerun.sh").read_text()


def test_the_pi5_settings_are_configuration() -> None:
    files = STAGE / "01-pi5/files"
    overlays = (files / "config.txt").read_text().splitlines()
    assert {"dtoverlay=disable-wifi", "dtoverlay=disable-bt"} <= set(overlays)
    journald = (files / "journald.conf").read_text()
    assert "Storage=volatile" in journald and re.search(r"^RuntimeMaxUse=\d+M$", journald, re.M)
    connection = (files / "ids2-capture.nmconnection").read_text()
    for feature in ("gro", "gso", "lro", "tso"):
        assert f"feature-{feature}=false" in connection
    assert "interface-name=eth0" in connection
    assert "Mechanism=zram" in (files / "swap.conf").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_first_boot_unit_is_sandboxed_like_the_others() -> None:
    assert exposure("ids2-firstboot.service") <= EXPOSURE_GOAL


def test_make_image_stops_before_any_download_when_the_archive_is_unreachable() -> None:
    """An unreachable proxy makes the archive check fail here, whatever else the host has."""
    environment = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "APT_PROXY": "http://127.0.0.1:1"}
    result = subprocess.run(
        [str(IMAGE_DIR / "build.sh")],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("make image: "), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""  # it never got as far as fetching pi-gen
