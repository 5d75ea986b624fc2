"""`ids2 notify test`: what it refuses before it asks Alertmanager anything."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ids2.cli import main
from ids2.config.load import config_path, load_config
from ids2.config.machine import Machine
from tests.support.ports import free_port

HOOK = {"type": "webhook", "url": "http://127.0.0.1:1/hook"}


def _config(tmp_path: Path, receivers: dict[str, object], port: int = 9093) -> Path:
    path = tmp_path / "config.yaml"
    document = {
        "sensor": {"interface": "lo"},
        "notify": {"receivers": receivers},
        "stack": {"alertmanager": {"port": port}},
    }
    path.write_text(yaml.safe_dump(document))
    load_config(config_path(str(path)), Machine(4, 8192, frozenset({"lo"})))  # valid as written
    return path


def test_no_receivers_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["notify", "test", "--config", str(_config(tmp_path, {}))]) == 1
    assert "no receiver to test: notify.receivers is empty" in capsys.readouterr().err


def test_an_unknown_receiver_names_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, {"hook": HOOK})
    assert main(["notify", "test", "pager", "--config", str(config)]) == 1
    assert "no receiver 'pager' in notify.receivers (there are: hook)" in capsys.readouterr().err


def test_an_alertmanager_that_does_not_answer_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    config = _config(tmp_path, {"hook": HOOK}, port)
    assert main(["notify", "test", "--config", str(config)]) == 1
    assert f"Alertmanager at 127.0.0.1:{port} does not answer" in capsys.readouterr().err
