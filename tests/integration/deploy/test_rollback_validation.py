"""`ids2 rollback` checks the files it takes from the history with the validators the
renderers attach, every one of them: a recorded file the installed stack no longer accepts
is refused and the running one stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.common.apply import apply_files
from ids2.common.rendered import ValidationError
from ids2.deploy.history import ConfigHistory
from ids2.deploy.phases import DeployContext
from ids2.deploy.render import render_all, validator_for
from ids2.deploy.rollback import rollback
from tests.integration.deploy.sensor_config import config_in

pytestmark = pytest.mark.integration


def test_every_rendered_file_has_its_validator_by_name(tmp_path: Path) -> None:
    files = render_all(config_in(tmp_path))
    assert {f.name: validator_for(f.name) for f in files} == {f.name: f.validator for f in files}
    assert all(validator_for(f.name) for f in files if f.mode == 0o644)


def test_a_recorded_stack_env_the_compose_file_refuses_is_not_rolled_back(
    tmp_path: Path,
) -> None:
    config = config_in(tmp_path)
    rendered = Path(config["paths"]["rendered_dir"])
    apply_files(render_all(config), rendered)
    running = (rendered / "stack.env").read_text()
    history = ConfigHistory(Path(config["deploy"]["history_dir"]))
    # An older deploy's stack.env, from before the compose file needed the RAM disk path.
    (rendered / "stack.env").write_text(
        "\n".join(line for line in running.splitlines() if not line.startswith("IDS2_RAMDISK="))
    )
    history.record(rendered, ["stack.env"], "deploy: an older stack.env")
    (rendered / "stack.env").write_text(running)

    with pytest.raises(ValidationError, match=r"docker-compose\.yml needs IDS2_RAMDISK"):
        rollback(DeployContext(config), "HEAD")
    assert (rendered / "stack.env").read_text() == running


def test_a_recorded_limits_file_compose_refuses_is_not_rolled_back(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    rendered = Path(config["paths"]["rendered_dir"])
    apply_files(render_all(config), rendered)
    running = (rendered / "stack-limits.yml").read_text()
    history = ConfigHistory(Path(config["deploy"]["history_dir"]))
    (rendered / "stack-limits.yml").write_text("services:\n  vector:\n    cpu_quota: [1]\n")
    history.record(rendered, ["stack-limits.yml"], "deploy: a broken stack-limits.yml")
    (rendered / "stack-limits.yml").write_text(running)

    with pytest.raises(ValidationError, match=r"stack-limits\.yml: docker-compose config: "):
        rollback(DeployContext(config), "HEAD")
    assert (rendered / "stack-limits.yml").read_text() == running
