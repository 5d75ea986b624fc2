"""stack.env, stack-limits.yml and grafana.env as rendered, checked by compose itself:
Debian 12's docker-compose 1.29 and Debian 13's 2.x both."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.common.apply import apply_files
from ids2.common.rendered import ValidationError
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.stack.render import (
    CA_BUNDLE,
    LIMITS_FILE,
    check_variables,
    compose_files,
    cpu_quota,
    render,
)
from tests.support.compose import VERSIONS, path_for, version_on
from tests.support.tls_certs import make_ca

pytestmark = pytest.mark.integration
MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))


def config_in(
    tmp_path: Path,
    ca_bundle: str = "",
    stack: dict[str, Any] | None = None,
    spill_key: str = "ids2:spill",
) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        "grafana_admin_password: s3cret-grafana\nevebox_admin_password: s3cret-evebox\n"
    )
    secrets.chmod(0o600)
    document = {
        "paths": {"rendered_dir": str(tmp_path / "rendered")},
        "shipping": {
            "secrets_file": str(secrets),
            "opensearch": {"ca_bundle": ca_bundle},
            "redis": {"key": spill_key},
        },
        "stack": {"vector": {"cpus": 0.75, "memory_mb": 900}, **(stack or {})},
    }
    return validate_document(document, "/etc/ids2/config.yaml", MACHINE)


def test_cpu_quota_is_integer_microseconds_of_the_period() -> None:
    assert cpu_quota(1.0) == 100_000
    assert cpu_quota(0.5) == 50_000
    assert cpu_quota(0.001) == 1000


def test_env_files_carry_limits_and_keep_the_password_private(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    rendered = tmp_path / "rendered"
    report = apply_files(render(config), rendered)
    assert report.notes["stack.env"].startswith("all ")
    stack_env = (rendered / "stack.env").read_text()
    assert "IDS2_VECTOR_MEMORY=900m\n" in stack_env
    limits = yaml.safe_load((rendered / LIMITS_FILE).read_text())
    assert limits["services"]["vector"] == {
        "cpu_quota": 75_000,
        "depends_on": {"redis": {"condition": "service_healthy"}},
    }
    assert limits["services"]["redis"] == {"cpu_quota": 50_000}
    assert "s3cret" not in stack_env
    grafana_env = rendered / "grafana.env"
    assert grafana_env.stat().st_mode & 0o777 == 0o600
    assert "GF_SECURITY_ADMIN_PASSWORD=s3cret-grafana\n" in grafana_env.read_text()
    assert "IDS2_EVEBOX_ADDRESS=0.0.0.0\nIDS2_EVEBOX_PORT=5636\n" in stack_env
    assert "IDS2_EVEBOX_MEMORY=256m\n" in stack_env
    assert limits["services"]["evebox"] == {"cpu_quota": 50_000}


def test_a_missing_variable_is_refused(tmp_path: Path) -> None:
    env = tmp_path / "stack.env"
    env.write_text("IDS2_RENDERED_DIR=/x\n")
    with pytest.raises(
        ValidationError,
        match=r"docker-compose\.yml needs IDS2_ALERTMANAGER_MEMORY, IDS2_ALERTMANAGER_PORT, ",
    ):
        check_variables(env)


@pytest.fixture(params=VERSIONS)
def compose_version(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """docker-compose on PATH is compose v1, then v2."""
    path = path_for(request.param, tmp_path / "compose-bin")
    monkeypatch.setenv("PATH", path)
    return version_on(path)


def merged_services(config: Config, tmp_path: Path, compose_version: str) -> dict[str, Any]:
    """The services as compose merges them from the files rendered (and checked) for
    `config`."""
    rendered = tmp_path / "rendered"
    report = apply_files(render(config), rendered)
    assert report.notes[LIMITS_FILE] == "docker-compose config: ok", compose_version
    (rendered / "vector.env").write_text("")
    files = (arg for path in compose_files(config) for arg in ("-f", str(path)))
    result = subprocess.run(
        ["docker-compose", "--env-file", str(rendered / "stack.env"), *files, "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    return services


def test_compose_accepts_the_rendered_files_before_they_apply(
    tmp_path: Path, compose_version: str
) -> None:
    config = config_in(tmp_path)
    rendered = tmp_path / "rendered"
    merged = merged_services(config, tmp_path, compose_version)
    assert merged["vector"]["cpu_quota"] == 75_000, compose_version
    assert merged["vector"]["cpu_period"] == 100_000
    assert merged["redis-exporter"]["cpu_quota"] == 10_000
    exporter_env = merged["redis-exporter"]["environment"]
    assert exporter_env["REDIS_EXPORTER_CHECK_SINGLE_KEYS"] == "db0=ids2:spill"
    assert "127.0.0.1:9598:9598" in map(short_port, merged["vector"]["ports"])
    volumes = set(map(short_volume, merged["vector"]["volumes"]))
    assert f"{rendered}/ca-bundle.pem:/etc/vector/ca-bundle.pem:ro" in volumes
    assert f"{tmp_path}/aws:/root/.aws:ro" in volumes


def test_evebox_publishes_its_port_where_configured_and_reads_the_ram_disk_read_only(
    tmp_path: Path, compose_version: str
) -> None:
    evebox = {"listen_address": "192.0.2.10", "port": 8443, "cpus": 0.25, "memory_mb": 300}
    config = config_in(tmp_path, stack={"evebox": evebox})
    merged = merged_services(config, tmp_path, compose_version)["evebox"]
    assert list(map(short_port, merged["ports"])) == ["192.0.2.10:8443:5636"], compose_version
    assert merged["cpu_quota"] == 25_000
    assert str(merged["mem_limit"]) in {"300m", str(300 * 1024 * 1024)}
    volumes = set(map(short_volume, merged["volumes"]))
    rendered = tmp_path / "rendered"
    assert f"{rendered}/evebox.yaml:/etc/evebox/evebox.yaml:ro" in volumes
    assert f"{config['ramdisk']['mount_point']}:/mnt/ram_logs:ro" in volumes
    assert f"{config['paths']['state_dir']}/evebox:/var/lib/evebox:rw" in volumes
    assert merged["networks"] == {"inbox": None} or list(merged["networks"]) == ["inbox"]


def test_the_exporter_reports_the_configured_spill_list(
    tmp_path: Path, compose_version: str
) -> None:
    merged = merged_services(config_in(tmp_path, spill_key="lab:spill"), tmp_path, compose_version)
    exporter_env = merged["redis-exporter"]["environment"]
    assert exporter_env["REDIS_EXPORTER_CHECK_SINGLE_KEYS"] == "db0=lab:spill"


def test_a_disabled_service_is_one_compose_does_not_start(
    tmp_path: Path, compose_version: str
) -> None:
    disabled = {
        "grafana": {"enabled": False},
        "prometheus": {"enabled": False},
        "alertmanager": {"enabled": False},
        "evebox": {"enabled": False},
    }
    merged = merged_services(config_in(tmp_path, stack=disabled), tmp_path, compose_version)
    # v2 leaves services of inactive profiles out of its output; v1 prints their profile.
    started = {name for name, service in merged.items() if not service.get("profiles")}
    assert started == {"redis", "redis-exporter", "vector"}, compose_version


def test_without_redis_vector_starts_alone(tmp_path: Path, compose_version: str) -> None:
    config = config_in(tmp_path, stack={"redis": {"enabled": False}})
    report = apply_files(render(config), tmp_path / "rendered")
    assert report.notes[LIMITS_FILE] == "docker-compose config: ok", compose_version
    limits = yaml.safe_load((tmp_path / "rendered" / LIMITS_FILE).read_text())["services"]
    assert "depends_on" not in limits["vector"]
    assert limits["redis"]["profiles"] == limits["redis-exporter"]["profiles"] == ["disabled"]


def short_port(port: str | dict[str, Any]) -> str:
    """A published port as v1 prints it; v2 prints the long syntax."""
    if isinstance(port, str):
        return port.removesuffix("/tcp")
    return f"{port['host_ip']}:{port['published']}:{port['target']}"


def short_volume(volume: str | dict[str, Any]) -> str:
    """A bind mount as v1 prints it; v2 prints the long syntax."""
    if isinstance(volume, str):
        return volume
    suffix = ":ro" if volume.get("read_only") else ":rw"
    return f"{volume['source']}:{volume['target']}{suffix}"


def test_limits_compose_refuses_keep_the_running_files(
    tmp_path: Path, compose_version: str
) -> None:
    config = config_in(tmp_path)
    rendered = tmp_path / "rendered"
    apply_files(render(config), rendered)
    before = (rendered / LIMITS_FILE).read_text()
    files = render(config_in(tmp_path))
    limits = next(f for f in files if f.name == LIMITS_FILE)
    broken = replace(
        limits, content=limits.content.replace("cpu_quota: 75000", "cpu_quota: [75000]")
    )
    files = [broken if f.name == LIMITS_FILE else f for f in files]
    with pytest.raises(ValidationError, match=r"stack-limits\.yml: docker-compose config: "):
        apply_files(files, rendered)
    assert (rendered / LIMITS_FILE).read_text() == before, compose_version


def test_the_ca_bundle_is_copied_for_vector_once_checked(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    rendered = tmp_path / "rendered"
    report = apply_files(render(config_in(tmp_path, str(ca.bundle))), rendered)
    assert (rendered / CA_BUNDLE).read_bytes() == ca.bundle.read_bytes()
    assert report.notes[CA_BUNDLE] == "1 CA certificate"


def test_without_a_ca_bundle_vector_gets_a_placeholder_it_never_reads(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered"
    report = apply_files(render(config_in(tmp_path)), rendered)
    assert (rendered / CA_BUNDLE).read_text().startswith("# shipping.opensearch.ca_bundle is not")
    assert report.notes[CA_BUNDLE] == "placeholder: no CA bundle configured"


def test_a_ca_bundle_that_is_not_pem_is_refused_and_the_running_one_stays(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    rendered = tmp_path / "rendered"
    apply_files(render(config_in(tmp_path, str(ca.bundle))), rendered)
    ca.bundle.write_text("not a certificate\n")
    with pytest.raises(ValidationError, match=r"ca-bundle\.pem: not a PEM CA bundle"):
        apply_files(render(config_in(tmp_path, str(ca.bundle))), rendered)
    assert "BEGIN CERTIFICATE" in (rendered / CA_BUNDLE).read_text()


def test_a_missing_ca_bundle_names_the_file_and_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        render(config_in(tmp_path, str(tmp_path / "absent.pem")))
    assert str(raised.value) == (
        "/etc/ids2/config.yaml: at 'shipping.opensearch.ca_bundle': expected a readable PEM "
        f"CA bundle, got '{tmp_path}/absent.pem' (No such file or directory)"
    )


def test_compose_refuses_a_broken_file(tmp_path: Path, compose_version: str) -> None:
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
    assert result.returncode != 0, compose_version


@pytest.mark.parametrize(
    ("env_name", "variable", "key"),
    [
        ("grafana.env", "GF_SECURITY_ADMIN_PASSWORD", "grafana_admin_password"),
        ("evebox.env", "IDS2_EVEBOX_PASSWORD", "evebox_admin_password"),
    ],
)
def test_grafana_and_evebox_never_get_an_empty_password(
    tmp_path: Path, env_name: str, variable: str, key: str
) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("")  # as the package installs it
    document = {
        "paths": {"rendered_dir": str(tmp_path / "rendered")},
        "shipping": {"secrets_file": str(secrets)},
    }
    config = validate_document(document, "/etc/ids2/config.yaml", MACHINE)
    env = next(f for f in render(config) if f.name == env_name)
    password = env.content.split(f"{variable}=", 1)[1].strip()
    assert len(password) >= 24, "generated, not empty"
    assert env.mode == 0o600
    assert secrets.stat().st_mode & 0o777 == 0o600
    stored = yaml.safe_load(secrets.read_text())
    assert stored[key] == password
    assert stored["grafana_admin_password"] != stored["evebox_admin_password"]
    again = next(f for f in render(config) if f.name == env_name)
    assert again.content == env.content, "generated once, then kept"


def test_a_password_that_cannot_be_stored_is_a_clear_error(tmp_path: Path) -> None:
    unwritable = tmp_path / "not-a-directory"
    unwritable.write_text("")
    document = {"shipping": {"secrets_file": str(unwritable / "secrets.yaml")}}
    config = validate_document(document, "/etc/ids2/config.yaml", MACHINE)
    with pytest.raises(ConfigError) as raised:
        render(config)
    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "at 'grafana_admin_password'",
        "at 'evebox_admin_password'",
    ]
    assert "cannot store the generated password" in str(raised.value)


def test_grafana_env_carries_the_datasource_password_and_the_file_none(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        "grafana_admin_password: s3cret-grafana\n"
        "opensearch_username: reader\nopensearch_password: s3cret-opensearch\n"
    )
    secrets.chmod(0o600)
    document = {
        "paths": {"rendered_dir": str(tmp_path / "rendered")},
        "shipping": {
            "secrets_file": str(secrets),
            "opensearch": {"endpoint": "https://search.lan:9200", "auth": "basic"},
        },
    }
    files = {f.name: f for f in render(validate_document(document, "test", MACHINE))}
    assert "IDS2_OPENSEARCH_PASSWORD=s3cret-opensearch\n" in files["grafana.env"].content
    datasource = files["grafana-opensearch.yml"]
    assert "s3cret" not in datasource.content and datasource.mode == 0o644
    report = apply_files(list(files.values()), tmp_path / "rendered")
    assert report.notes["grafana-opensearch.yml"] == "1 datasource"
