"""`ids2 deploy --phase D` run alone checks what an earlier run's phase B applied unchecked:
B keeps those files' names in the state directory, D checks each with the real promtool
once it can, and forgets them once checked, or keeps them while a check refuses."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.deploy import phases
from ids2.deploy.phases import DeployContext, deploy_phases
from ids2.deploy.recheck import PENDING_FILE, check_pending, remember_unchecked
from ids2.deploy.runner import DeployError, run_phases
from ids2.stack import prometheus
from ids2.stack.render import compose_files
from tests.integration.deploy.sensor_config import config_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool"),
]
MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))


def phase_b_without_tools(
    files: list[RenderedFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Phase B's apply and record on a machine with no promtool and no engine yet (a plain
    `apt install`); the names it kept."""
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(tmp_path / "empty-bin"))
        patch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
        report = apply_files(files, tmp_path / "rendered")
    return remember_unchecked(tmp_path / "state", report.notes)


def test_phase_d_alone_checks_what_an_earlier_phase_b_left_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered, history, state = tmp_path / "rendered", tmp_path / "history", tmp_path / "state"
    files = prometheus.render(validate_document(None, "test", MACHINE))
    assert phase_b_without_tools(files, tmp_path, monkeypatch) == ["prometheus.yml"]
    assert (state / PENDING_FILE).read_text() == "prometheus.yml\n"
    # Another process, another day: nothing of phase B's run is left but the state directory.
    checked = check_pending(rendered, history, state)
    assert checked == {"prometheus.yml": "promtool check config: ok"}
    assert not (state / PENDING_FILE).exists()
    assert check_pending(rendered, history, state) == {}


def test_a_refused_file_stays_pending_until_a_phase_b_applies_a_checked_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered, history, state = tmp_path / "rendered", tmp_path / "history", tmp_path / "state"
    good = prometheus.render(validate_document(None, "test", MACHINE))
    bad = [RenderedFile("prometheus.yml", "global:\n  scrape_interval: often\n", good[0].validator)]
    phase_b_without_tools(bad, tmp_path, monkeypatch)
    with pytest.raises(DeployError, match=r"(?s)no checked version in the config history.*often"):
        check_pending(rendered, history, state)
    assert (state / PENDING_FILE).read_text() == "prometheus.yml\n"
    remember_unchecked(state, apply_files(good, rendered).notes)  # with promtool this time
    assert not (state / PENDING_FILE).exists()
    assert check_pending(rendered, history, state) == {}


class StackStandIn:
    """The stack phase D drives, as far as the recheck's wiring needs: it comes up healthy."""

    def __init__(self, compose_files: list[Path]) -> None:
        self.compose_files = compose_files

    def client(self) -> None:
        return None

    def up(self) -> None:
        pass

    def remove(self, services: list[str]) -> None:
        pass

    def restart(self, service: str) -> None:
        pass

    def wait_healthy(self, timeout: float) -> dict[str, object]:
        return {}


def test_the_phases_hand_the_unchecked_names_from_b_to_a_later_d_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ids2 deploy` stopping after B, then `ids2 deploy --phase D` in another process: the
    names reach D through the config's state_dir, and D's result names the check."""
    state = tmp_path / "state"
    config = config_in(
        tmp_path, paths={"rendered_dir": str(tmp_path / "rendered"), "state_dir": str(state)}
    )
    monkeypatch.setattr(phases, "render_all", prometheus.render)
    monkeypatch.setattr(phases, "systemd_is_running", lambda: False)
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(tmp_path / "empty-bin"))
        patch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
        phase_b = [p for p in deploy_phases(DeployContext(config)) if p.letter == "B"]
        assert run_phases(phase_b, out=io.StringIO()).results[0].ok
    assert (state / PENDING_FILE).read_text() == "prometheus.yml\n"

    monkeypatch.setattr(phases, "pull_missing", lambda client, images: None)
    monkeypatch.setattr(phases, "write_report", lambda store, project: {})
    monkeypatch.setattr(DeployContext, "stack", lambda c: StackStandIn(compose_files(config)))
    phase_d = [p for p in deploy_phases(DeployContext(config)) if p.letter == "D"]
    result = run_phases(phase_d, out=io.StringIO()).results[0]
    assert result.ok, result
    assert "checked now that the images are here: prometheus.yml: promtool check config: ok" in (
        result.detail
    )
    assert not (state / PENDING_FILE).exists()
