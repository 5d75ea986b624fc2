"""First boot: the boot partition's ids2.yaml merged, its secrets moved, or the file rejected."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from ids2.cli import main
from ids2.config.load import load_config, load_secrets, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.system.firstboot import (
    MOTD_BEGIN,
    banner,
    first_boot,
    load_saved_images,
    merge_boot_file,
    merge_documents,
    pick_address,
    update_motd,
)

ROOT_DIR = Path(__file__).resolve().parents[3]
SHIPPED = ROOT_DIR / "etc/ids2/config.yaml"
PI5 = Machine(4, 8192, frozenset({"lo", "eth0"}))
GOOD = """\
sensor:
  interface: eth1
  home_networks: ["10.20.0.0/16"]
metrics:
  port: 9200
secrets:
  opensearch_username: sensor
  opensearch_password: s3cret-from-boot
"""


@pytest.fixture
def sensor(tmp_path: Path) -> dict[str, Path]:
    """An installed sensor's files: the shipped config, a secrets file, a boot partition."""
    etc = tmp_path / "etc"
    etc.mkdir()
    secrets = etc / "secrets.yaml"
    secrets.write_text("grafana_admin_password: kept-from-before\n")
    secrets.chmod(0o600)
    config = etc / "config.yaml"
    config.write_text(SHIPPED.read_text().replace('"/etc/ids2/secrets.yaml"', f'"{secrets}"'))
    boot = tmp_path / "boot"
    boot.mkdir()
    return {"config": config, "secrets": secrets, "boot": boot / "ids2.yaml", "tmp": tmp_path}


def test_mappings_merge_key_by_key_and_other_values_replace() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge_documents(base, {"a": {"c": [3]}, "e": 2}) == {
        "a": {"b": 1, "c": [3]},
        "d": 1,
        "e": 2,
    }
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_a_valid_file_overrides_keys_and_splits_off_its_secrets() -> None:
    merged = merge_boot_file(GOOD, "boot/ids2.yaml", SHIPPED.read_text(), str(SHIPPED), PI5)
    assert merged.config["sensor"]["interface"] == "eth1"
    assert merged.config["sensor"]["home_networks"] == ["10.20.0.0/16"]
    assert merged.config["metrics"]["port"] == 9200
    assert merged.config["sensor"]["workers"] == 2  # untouched keys keep their value
    assert "secrets" not in merged.document
    assert merged.secrets == {
        "opensearch_username": "sensor",
        "opensearch_password": "s3cret-from-boot",
    }


def test_every_problem_is_named_against_the_boot_file_and_secrets_stay_hidden() -> None:
    bad = "sensor:\n  workers: lots\n  colour: red\nsecrets:\n  opensearch_password: 42\n"
    with pytest.raises(ConfigError) as caught:
        merge_boot_file(bad, "boot/ids2.yaml", SHIPPED.read_text(), str(SHIPPED), PI5)
    message = str(caught.value)
    assert caught.value.source == "boot/ids2.yaml"
    assert "boot/ids2.yaml: at 'sensor.workers': expected a whole number" in message
    assert "boot/ids2.yaml: at 'sensor.colour': unknown key" in message
    assert (
        "boot/ids2.yaml: at 'secrets.opensearch_password': expected a string, got <redacted>"
        in (message)
    )
    assert "42" not in message


def test_a_file_that_is_not_a_mapping_or_not_yaml_is_refused() -> None:
    for text, expected in (
        ("- a\n- b\n", "expected a mapping of keys, got a list"),
        ("a: [\n", "not valid YAML"),
    ):
        with pytest.raises(ConfigError, match=expected):
            merge_boot_file(text, "boot/ids2.yaml", SHIPPED.read_text(), str(SHIPPED), PI5)


def test_first_boot_merges_moves_secrets_and_removes_the_file(sensor: dict[str, Path]) -> None:
    sensor["boot"].write_text(GOOD)
    before = sensor["config"].read_text()
    accepted, outcome, config = first_boot(sensor["boot"], sensor["config"], sensor["tmp"] / "none")
    assert accepted and "merged" in outcome and "2 secret(s) moved" in outcome
    assert not sensor["boot"].exists()
    assert config["sensor"]["interface"] == "eth1"
    assert load_config(sensor["config"], PI5)["metrics"]["port"] == 9200
    assert "s3cret" not in sensor["config"].read_text()
    assert (sensor["config"].parent / "config.yaml.before-firstboot").read_text() == before
    assert stat.S_IMODE(sensor["secrets"].stat().st_mode) == 0o600
    assert load_secrets(sensor["secrets"]) == {
        "opensearch_username": "sensor",
        "opensearch_password": "s3cret-from-boot",
        "grafana_admin_password": "kept-from-before",
        "evebox_admin_password": "",
        "notify_receivers": {},
    }


def test_a_bad_file_is_renamed_explained_and_the_config_kept(sensor: dict[str, Path]) -> None:
    sensor["boot"].write_text("metrics:\n  port: -1\n")
    before = sensor["config"].read_text()
    accepted, outcome, config = first_boot(sensor["boot"], sensor["config"], sensor["tmp"] / "none")
    assert not accepted and "REJECTED" in outcome and "previous config in force" in outcome
    assert not sensor["boot"].exists()
    assert (sensor["boot"].parent / "ids2.yaml.rejected").read_text() == "metrics:\n  port: -1\n"
    errors = (sensor["boot"].parent / "ids2.yaml.errors.txt").read_text()
    assert (
        errors == "ids2.yaml: at 'metrics.port': expected a whole number from 1 to 65535, got -1\n"
    )
    assert sensor["config"].read_text() == before
    assert config["metrics"]["port"] == load_config(SHIPPED, PI5)["metrics"]["port"]


def test_without_a_boot_file_nothing_changes(sensor: dict[str, Path]) -> None:
    before = sensor["config"].read_text()
    accepted, outcome, _ = first_boot(sensor["boot"], sensor["config"], sensor["tmp"] / "none")
    assert accepted
    assert outcome == "no ids2.yaml on the boot partition; no saved container images"
    assert sensor["config"].read_text() == before


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker command")
def test_an_archive_docker_cannot_load_is_kept(tmp_path: Path) -> None:
    (tmp_path / "broken.tar").write_bytes(b"not an image archive")
    summary = load_saved_images(tmp_path)
    assert summary.startswith("loaded 0 saved container image(s); failed: broken.tar")
    assert (tmp_path / "broken.tar").exists()


def test_the_banner_address_is_the_host_one_not_a_container_bridge() -> None:
    output = (
        "3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\ ...\n"
        "2: eth0    inet 192.168.1.20/24 brd 192.168.1.255 scope global dynamic eth0\\ ...\n"
    )
    assert pick_address(output) == "192.168.1.20"
    assert pick_address(output.splitlines()[0]) is None


def test_the_motd_block_is_replaced_not_repeated(tmp_path: Path) -> None:
    motd = tmp_path / "motd"
    motd.write_text("Debian GNU/Linux\n")
    update_motd(motd, "ids2 sensor one")
    update_motd(motd, "ids2 sensor two")
    text = motd.read_text()
    assert text.startswith("Debian GNU/Linux\n")
    assert text.count(MOTD_BEGIN) == 1 and "two" in text and "one" not in text


def test_the_command_prints_the_banner_and_reports_to_status(
    sensor: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = sensor["tmp"] / "run"
    monkeypatch.setenv("IDS2_RUNTIME_DIR", str(runtime))
    sensor["boot"].write_text("sensor: {workers: 0}\n")
    arguments = ["--config", str(sensor["config"]), "--boot-file", str(sensor["boot"])]
    motd = sensor["tmp"] / "motd"
    status = main(["firstboot", *arguments, "--motd", str(motd), "--images-dir", str(runtime)])
    assert status == 2
    out = capsys.readouterr().out
    assert "at 'sensor.workers': expected a whole number from 1 to 64, got 0" in out
    assert "  Grafana:" in out and "(user admin)" in out
    assert "admin password: sudo ids2 status --secrets" in out
    assert "REJECTED" in motd.read_text()
    state = json.loads((runtime / "firstboot.json").read_text())
    assert state["ok"] is False
    main(["status", "--config", str(sensor["config"])])
    assert f"first boot    {state['summary']}" in capsys.readouterr().out


def test_the_secrets_written_are_valid_yaml_of_the_secrets_schema(sensor: dict[str, Path]) -> None:
    sensor["boot"].write_text("secrets:\n  grafana_admin_password: 'new: one'\n")
    first_boot(sensor["boot"], sensor["config"], sensor["tmp"] / "none")
    assert yaml.safe_load(sensor["secrets"].read_text()) == {"grafana_admin_password": "new: one"}


def test_the_banner_gives_grafana_and_evebox_side_by_side_unless_disabled() -> None:
    stack = {"evebox": {"listen_address": "10.0.0.5", "port": 8443}}
    config = validate_document({"stack": stack}, "test", PI5)
    lines = banner(config, "ok", "192.168.1.20").splitlines()
    assert "  Grafana:        http://192.168.1.20:3000/ (user admin)" in lines
    assert "  EveBox:         http://10.0.0.5:8443/ (user admin)" in lines
    assert lines.index("  EveBox:         http://10.0.0.5:8443/ (user admin)") == 4
    stack["evebox"]["enabled"] = False
    config = validate_document({"stack": stack}, "test", PI5)
    assert "EveBox" not in banner(config, "ok", "192.168.1.20")
