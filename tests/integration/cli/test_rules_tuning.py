"""`ids2 rules suppress|unsuppress|threshold|list-tuning` as a person runs them: config.yaml
edited in place, threshold.config checked by the real suricata -T and installed, both in
the config history with the file as it was before."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ids2.cli import main
from ids2.common.apply import apply_files
from ids2.config.load import load_config
from ids2.suricata import render, tuning

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
CONFIG = """\
# rack 4, the lab's sensor
sensor:
  interface: lo  # the mirror port
  unix_socket: {root}/no-suricata.socket
ramdisk:
  mount_point: {root}/ram
paths:
  rendered_dir: {root}/rendered
deploy:
  history_dir: {root}/history
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(root=tmp_path))
    config = load_config(path)
    apply_files([*render.render(config), *tuning.render(config)], tmp_path / "rendered")
    return path


def history(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root / "history"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def run(config_file: Path, *args: str) -> int:
    return main(["rules", *args, "--config", str(config_file)])


def test_suppress_edits_applies_and_records(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = config_file.read_text()
    root = config_file.parent
    assert run(config_file, "suppress", "2013028", "--by-src", "10.0.0.5", "--reason", "lab") == 0
    out = capsys.readouterr().out
    assert out.startswith("suppress 2013028 by_src 10.0.0.5: Suricata is not running")
    assert "recorded as" in out
    text = config_file.read_text()
    assert text.startswith(original.split("ramdisk:")[0].split("  unix_socket")[0])
    assert "  interface: lo  # the mirror port\n" in text
    suppressions = load_config(config_file)["sensor"]["rules"]["suppress"]
    assert suppressions == [{"sid": 2013028, "track": "by_src", "ip": "10.0.0.5", "reason": "lab"}]
    installed = (root / "rendered" / "threshold.config").read_text()
    assert "suppress gen_id 1, sig_id 2013028, track by_src, ip 10.0.0.5\n" in installed
    subjects = history(root, "log", "--format=%s").splitlines()
    assert subjects == [
        "ids2 rules suppress 2013028 by_src 10.0.0.5",
        "config.yaml before `ids2 rules suppress 2013028 by_src 10.0.0.5`",
    ]
    assert history(root, "show", "HEAD~1:config.yaml") == original
    assert history(root, "show", "HEAD:config.yaml") == text
    assert history(root, "show", "HEAD:threshold.config") == installed

    assert run(config_file, "threshold", "2210045", "--count", "1", "--seconds", "3600") == 0
    assert run(config_file, "list-tuning") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-2:] == [
        "suppress   2013028    by_src 10.0.0.5  # lab",
        "threshold  2210045    limit by_src, count 1 per 3600 s",
    ]
    assert run(config_file, "unsuppress", "2013028") == 0
    assert load_config(config_file)["sensor"]["rules"]["suppress"] == []
    assert "2013028" not in (root / "rendered" / "threshold.config").read_text()


def test_bad_values_are_refused_and_change_nothing(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = config_file.read_text()
    assert run(config_file, "suppress", "5", "--by-dst", "10.0.0.300", "--reason", "x") == 2
    assert "at 'sensor.rules.suppress[0].ip': expected an IP address" in capsys.readouterr().err
    assert run(config_file, "unsuppress", "5") == 1
    assert "no suppression of 5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(config_file, "suppress", "12x", "--reason", "x")
    assert "expected a SID (a whole number), got '12x'" in capsys.readouterr().err
    assert config_file.read_text() == original
    assert not (config_file.parent / "history").exists()


def test_a_change_that_cannot_be_applied_puts_the_file_back(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A suricata.yaml rendered before ids2 owned threshold.config: the edit is refused."""
    suricata_yaml = config_file.parent / "rendered" / "suricata.yaml"
    rendered_dir = config_file.parent / "rendered"
    suricata_yaml.write_text(
        suricata_yaml.read_text().replace(
            f"threshold-file: {rendered_dir}/threshold.config",
            "threshold-file: /etc/suricata/threshold.config",
        )
    )
    original = config_file.read_text()
    assert run(config_file, "suppress", "5", "--reason", "x") == 1
    error = capsys.readouterr().err
    assert "run `ids2 deploy` once" in error
    assert f"{config_file} is unchanged" in error
    assert config_file.read_text() == original
