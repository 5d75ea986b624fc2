"""The `ids2` command's exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ids2.cli import main
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.state import StateStore

ROOT_DIR = Path(__file__).resolve().parents[3]
SHIPPED = ROOT_DIR / "etc/ids2/config.yaml"


def test_validate_shipped_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", "--config", str(SHIPPED)]) == 0
    assert capsys.readouterr().out == f"{SHIPPED}: valid\n"


def test_validate_reports_every_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("sensor:\n  workers: lots\n  colour: red\nmetrics:\n  port: -1\n")
    assert main(["config", "validate", "--config", str(bad)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"{bad}: at 'sensor.colour': unknown key; expected one of: name, interface, home_networks, "
        "workers, management_cores, worker_cores, memory_budget_mb, bpf_filter, unix_socket, pcap, "
        "rules",
        f"{bad}: at 'sensor.workers': expected a whole number from 1 to 64, got 'lots'",
        f"{bad}: at 'metrics.port': expected a whole number from 1 to 65535, got -1",
    ]


def test_config_option_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(SHIPPED), "config", "validate"]) == 0
    assert main(["config", "--config", str(SHIPPED), "validate"]) == 0


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    monkeypatch.setenv("IDS2_CONFIG", str(missing))
    assert main(["config", "validate"]) == 2


def test_unknown_controller_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nonsense", "--config", str(SHIPPED)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("ids2: no controller named 'nonsense'; known controllers: ")
    assert "Traceback" not in error


def test_status_exit_code_follows_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("IDS2_CONFIG", str(SHIPPED))
    assert main(["status"]) == 1
    assert "sensor: UNHEALTHY" in capsys.readouterr().out
    store = StateStore(tmp_path)
    for name in ("resource", "connectivity", "metrics", "verify"):
        store.write(
            name,
            {
                "summary": f"{name} fine",
                "healthy": True,
                "interval": 2,
                "level": 2,
                "shipping_pace": "reduced",
            },
        )
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] is True
    assert [c["state"] for c in report["controllers"]] == ["ok"] * 4
    assert report["facts"]["throttle_level"] == 2
    assert main(["status"]) == 0
    assert "throttle      level 2, pace reduced" in capsys.readouterr().out


def test_status_with_a_broken_config_still_shows_the_sensor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    broken = tmp_path / "config.yaml"
    broken.write_text("sensor: [oops\n")
    StateStore(tmp_path).write("resource", {"summary": "level 0", "healthy": True, "interval": 2})
    assert main(["status", "--config", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "resource      ok" in out and f"config: {broken}: at line" in out


def test_python_dash_m_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ids2", "config", "validate", "--config", str(SHIPPED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{SHIPPED}: valid\n"


def test_a_refused_config_reaches_ids2_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deploy whose phase B refuses a rendered file: exit 4, and status tells why."""
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path / "run"))
    config = tmp_path / "config.yaml"
    config.write_text(
        f"paths:\n  rendered_dir: {tmp_path / 'rendered'}\n"
        f"shipping:\n  secrets_file: {tmp_path / 'secrets.yaml'}\n"
    )

    def refuse(_config: object) -> list[RenderedFile]:
        return [RenderedFile("suricata.yaml", "x", refuses)]

    monkeypatch.setattr("ids2.deploy.phases.render_all", refuse)
    assert main(["deploy", "--phase", "B", "--config", str(config)]) == 4
    assert main(["status", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "deploy        phase B (render and validate configs) failed:" in out
    assert "suricata -T says no" in out


def refuses(_path: Path) -> str:
    raise ValidationError("suricata -T says no")


def test_a_deploy_whose_outcome_cannot_be_recorded_says_so_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(blocker / "run"))
    config = tmp_path / "config.yaml"
    config.write_text(
        f"paths:\n  rendered_dir: {tmp_path / 'rendered'}\n"
        f"shipping:\n  secrets_file: {tmp_path / 'secrets.yaml'}\n"
    )
    monkeypatch.setattr("ids2.deploy.phases.render_all", lambda _config: [])
    assert main(["deploy", "--phase", "B", "--config", str(config)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("ids2: the deploy ran (see above) but `ids2 status` cannot be told:")
    assert "not-a-directory" in error
    assert "Traceback" not in error


def test_render_with_a_systemd_dir_installs_the_drop_ins_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ids2.system.render import render as render_dropins

    config = tmp_path / "config.yaml"
    config.write_text("sensor:\n  rules:\n    update_calendar: weekly\n")
    monkeypatch.setattr("ids2.deploy.render.render_all", render_dropins)
    output, systemd = tmp_path / "rendered", tmp_path / "systemd"
    command = ["config", "render", "--config", str(config), "--output", str(output)]
    assert main([*command, "--systemd-dir", str(systemd)]) == 0
    timer = systemd / "ids2-rules-update.timer.d" / "50-ids2.conf"
    assert timer.read_text().endswith("OnCalendar=weekly\n")
    assert (systemd / "mnt-ram_logs.mount").is_file()
    assert (systemd / "suricata.service.d" / "50-ids2.conf").is_file()
    assert capsys.readouterr().out.endswith("systemd is not running here\n")


def test_stack_limits_takes_a_level_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The root helper's argument comes from a unit instance an unprivileged user picks."""
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    assert main(["stack-limits", "1;reboot", "--config", str(SHIPPED)]) == 1
    assert (
        capsys.readouterr().err
        == "ids2: throttle level must be one of 0, 1, 2, 3, got '1;reboot'\n"
    )
    assert not list(tmp_path.iterdir())


def test_stack_limits_without_an_engine_says_why_per_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the resource controller reads back: the level and a line per throttled service."""
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    assert main(["stack-limits", "2", "--config", str(SHIPPED)]) == 1
    written = StateStore(tmp_path).read("stack-limits")
    assert written is not None and written.data["level"] == 2
    results = written.data["results"]
    assert set(results) == {"vector", "prometheus", "grafana", "evebox"}
    assert all(result.startswith("failed: no Docker engine answers") for result in results.values())
    assert capsys.readouterr().out.splitlines()[0] == f"vector: {results['vector']}"


def test_stack_limits_with_a_broken_config_says_so_in_its_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    broken = tmp_path / "config.yaml"
    broken.write_text("metrics:\n  port: -1\n")
    assert main(["stack-limits", "0", "--config", str(broken)]) == 1
    written = StateStore(tmp_path).read("stack-limits")
    assert written is not None and written.data["level"] == 0
    assert written.data["results"]["stack"].startswith(f"failed: {broken}: at 'metrics.port'")


def test_stack_report_without_an_engine_writes_why_for_the_exporter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(tmp_path))
    socket = tmp_path / "no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket}")
    assert main(["stack-report", "--config", str(SHIPPED)]) == 1
    written = StateStore(tmp_path).read("stack")
    assert written is not None
    assert written.data["error"].startswith(f"no Docker engine answers on {socket}: ")
    assert capsys.readouterr().err == f"ids2: {written.data['error']}\n"
