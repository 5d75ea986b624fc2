"""alertmanager.yml and ids2.tmpl as rendered, checked before apply by trixie's amtool
0.28.1 (the stack's Alertmanager version; see conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.notify.render import VALIDATORS, render
from tests.unit.notify.test_render import MAIL, config_with

pytestmark = pytest.mark.integration
RECEIVERS = {
    "mail": {**MAIL, "username": "ids2"},
    "hook": {"type": "webhook", "url": "https://ntfy.example.org/ids2"},
    "chat": {"type": "slack", "url": "https://hooks.slack.com/services/T/B/X"},
    "game": {"type": "discord", "url": "https://discord.com/api/webhooks/1/x"},
    "team": {"type": "teams"},
}


def test_every_receiver_type_passes_amtool(tmp_path: Path, alertmanager_binaries: Path) -> None:
    assert shutil.which("amtool") == str(alertmanager_binaries / "amtool")
    version = subprocess.run(["amtool", "--version"], capture_output=True, text=True, check=True)
    assert "version 0.28.1" in version.stdout + version.stderr
    config = config_with({"receivers": RECEIVERS, "routes": [{"receiver": "chat"}]}, tmp_path)
    report = apply_files(render(config), tmp_path / "rendered")
    rendered = yaml.safe_load((tmp_path / "rendered" / "alertmanager.yml").read_text())
    kinds = {key for receiver in rendered["receivers"] for key in receiver if key != "name"}
    assert kinds == {
        "email_configs",
        "webhook_configs",
        "slack_configs",
        "discord_configs",
        "msteamsv2_configs",
    }
    assert report.notes == {
        "alertmanager.yml": "amtool check-config: ok",
        "ids2.tmpl": "amtool check-config: ok",
    }


def test_a_broken_template_never_replaces_the_running_one(tmp_path: Path) -> None:
    config = config_with({"receivers": RECEIVERS}, tmp_path)
    rendered = tmp_path / "rendered"
    apply_files(render(config), rendered)
    good = (rendered / "ids2.tmpl").read_text()
    broken = RenderedFile("ids2.tmpl", '{{ define "ids2.title" }}', VALIDATORS["ids2.tmpl"])
    with pytest.raises(ValidationError, match=r"ids2\.tmpl: amtool check-config: "):
        apply_files([broken], rendered)
    assert (rendered / "ids2.tmpl").read_text() == good


def test_a_config_amtool_refuses_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "alertmanager.yml"
    bad.write_text(yaml.safe_dump({"route": {"receiver": "nowhere"}, "receivers": []}))
    with pytest.raises(
        ValidationError, match=r"(?s)amtool check-config: .*undefined receiver \"nowhere\""
    ):
        VALIDATORS["alertmanager.yml"](bad)
