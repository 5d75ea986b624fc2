"""stack.env and grafana.env as rendered, checked by Debian's docker-compose itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ids2.apply import apply_files
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.render import ValidationError
from ids2.render.stack import check_variables, cpu_quota, render, stack_dir

pytestmark = pytest.mark.integration
MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))


def config_in(tmp_path: Path) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("grafana_admin_password: s3cret-grafana\n")
    secrets.chmod(0o600)
    document = {
        "paths": {"rendered_dir": str(tmp_path / "rendered")},
        "shipping": {"secrets_file": str(secrets)},
        "stack": {"vector": {"cpus": 0.75, "memory_mb": 900}},
    }
    return validate_document(document, "test", MACHINE)


def test_cpu_quota_is_a_compose_duration() -> None:
    assert cpu_quota(1.0) == "100000us"
    assert cpu_quota(0.5) == "50000us"
    assert cpu_quota(0.001) == "1000us"


def test_env_files_carry_limits_and_keep_the_password_private(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    rendered = tmp_path / "rendered"
    report = apply_files(render(config), rendered)
    assert report.notes["stack.env"].startswith("all ")
    stack_env = (rendered / "stack.env").read_text()
    assert "IDS2_VECTOR_CPU_QUOTA=75000us\n" in stack_env
    assert "IDS2_VECTOR_MEMORY=900m\n" in stack_env
    assert "s3cret" not in stack_env
    grafana_env = rendered / "grafana.env"
    assert grafana_env.stat().st_mode & 0o777 == 0o600
    assert "GF_SECURITY_ADMIN_PASSWORD=s3cret-grafana\n" in grafana_env.read_text()


def test_a_missing_variable_is_refused(tmp_path: Path) -> None:
    env = tmp_path / "stack.env"
    env.write_text("IDS2_RENDERED_DIR=/x\n")
    with pytest.raises(ValidationError, match=r"docker-compose\.yml needs IDS2_GRAFANA_ADDRESS"):
        check_variables(env)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs docker-compose")
def test_compose_accepts_the_file_with_the_rendered_env(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered"
    apply_files(render(config_in(tmp_path)), rendered)
    (rendered / "vector.env").write_text("")
    result = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(rendered / "stack.env"),
            "-f",
            str(stack_dir() / "docker-compose.yml"),
            "config",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "cpu_quota: 75000" in result.stdout
    assert "127.0.0.1:9598:9598" in result.stdout


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs docker-compose")
def test_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        "services:\n  vector:\n    image: x\n    restart: sometimes-maybe\n    bogus_key: 1\n"
    )
    result = subprocess.run(
        ["docker-compose", "-f", str(broken), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode != 0
