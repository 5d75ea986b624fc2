"""EveBox's evebox.yaml and evebox.env as rendered: only options EveBox documents, the
retention of `stack.evebox`, authentication on, the alerts spool as input, the password
kept out of the file."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.common.apply import apply_files
from ids2.common.eve_files import ALERTS_GLOB
from ids2.common.rendered import ValidationError
from ids2.common.stack_files import stack_dir
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.stack import evebox

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
PINNED_VERSION = "0.28.0"
# Every option of EveBox's documented server configuration at the pinned version: the keys
# of jasonish/evebox's examples/evebox.yaml at tag 0.28.0 (commit a204fa83), the
# "EveBox Server configuration file" shipped in each release archive, including those it
# shows commented out, plus `http.host` from packaging/evebox.yaml of the same tag (the
# minimal file its packages install). A leaf is a key whose value is not a mapping there.
DOCUMENTED = {
    "data-directory",
    "defaults.time-range",
    "http.host",
    "http.tls.enabled",
    "http.tls.certificate",
    "http.tls.key",
    "http.request-logging",
    "authentication.required",
    "database.type",
    "database.elasticsearch.url",
    "database.elasticsearch.index",
    "database.elasticsearch.disable-certificate-check",
    "database.elasticsearch.ecs",
    "database.elasticsearch.username",
    "database.elasticsearch.password",
    "database.elasticsearch.cacert",
    "database.retention.days",
    "database.retention.size",
    "input.enabled",
    "input.paths",
    "input.delete-spool-files",
    "input.bookmark-directory",
    "input.additional-fields",
    "input.rules",
    "input.sockets",
    "geoip.disabled",
    "geoip.database",
    "pcap.directory",
    "pcap.prefix",
    "agents.allow-unauthenticated",
    "event-services",
}


def config(tmp_path: Path, **evebox_settings: Any) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("")
    document = {
        "shipping": {"secrets_file": str(secrets)},
        "stack": {"evebox": evebox_settings},
    }
    return validate_document(document, "test", MACHINE)


def leaves(document: dict[str, Any], prefix: str = "") -> set[str]:
    """The dotted paths of every key whose value is not a mapping."""
    found = set()
    for key, value in document.items():
        path = f"{prefix}{key}"
        found |= leaves(value, f"{path}.") if isinstance(value, dict) else {path}
    return found


def rendered(settings: Config) -> dict[str, Any]:
    files = {f.name: f for f in evebox.render(settings, "s3cret-evebox")}
    document: dict[str, Any] = yaml.safe_load(files[evebox.CONFIG_FILE].content)
    return document


def test_every_option_rendered_is_one_evebox_documents(tmp_path: Path) -> None:
    """Source: https://github.com/jasonish/evebox/blob/0.28.0/examples/evebox.yaml and
    https://github.com/jasonish/evebox/blob/0.28.0/packaging/evebox.yaml (see DOCUMENTED)."""
    document = rendered(config(tmp_path))
    assert leaves(document) <= DOCUMENTED, leaves(document) - DOCUMENTED


def test_the_documented_options_are_those_of_the_image_the_stack_runs() -> None:
    """A newer image needs DOCUMENTED read again from that version's files."""
    compose = yaml.safe_load((stack_dir() / "docker-compose.yml").read_text())
    assert compose["services"]["evebox"]["image"] == f"docker.io/jasonish/evebox:{PINNED_VERSION}"


def test_sqlite_with_the_configured_retention_and_authentication_on(tmp_path: Path) -> None:
    document = rendered(config(tmp_path, retention_days=30, retention_size_mb=2048))
    assert document["database"] == {
        "type": "sqlite",
        "retention": {"days": 30, "size": str(2048 * 1024 * 1024)},
    }
    assert document["authentication"] == {"required": True}
    assert document["http"]["tls"] == {"enabled": False}
    assert document["data-directory"] == evebox.DATA_DIRECTORY
    without_size = rendered(config(tmp_path, retention_size_mb=0))["database"]["retention"]
    assert without_size == {"days": 7}


def test_the_input_is_the_alerts_spool_with_bookmarks_beside_the_data(tmp_path: Path) -> None:
    document = rendered(config(tmp_path))
    assert document["input"] == {
        "enabled": True,
        "paths": [f"/mnt/ram_logs/{ALERTS_GLOB}"],
        "bookmark-directory": evebox.DATA_DIRECTORY,
    }
    # What Suricata writes matches, in the form EveBox groups into one spool (src/eve/spool.rs
    # at 0.28.0: NAME.<ten ASCII digits>).
    assert fnmatch.fnmatch("alerts.json.1796378400", ALERTS_GLOB)
    assert re.fullmatch(r".+\.\d{10}", "alerts.json.1796378400")


def test_the_password_is_in_the_private_env_file_only(tmp_path: Path) -> None:
    files = {f.name: f for f in evebox.render(config(tmp_path), "s3cret-evebox")}
    env = files[evebox.ENV_FILE]
    assert env.mode == 0o600
    assert "IDS2_EVEBOX_PASSWORD=s3cret-evebox\n" in env.content
    assert "s3cret" not in files[evebox.CONFIG_FILE].content
    assert files[evebox.CONFIG_FILE].mode == 0o644
    report = apply_files(list(files.values()), tmp_path / "rendered")
    assert report.notes[evebox.CONFIG_FILE] == "sqlite, reads /mnt/ram_logs/alerts.json.[0-9]*"


def test_a_password_an_env_file_would_change_is_refused_by_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at 'evebox_admin_password': expected no"):
        evebox.render(config(tmp_path), "pa$$word")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("authentication:\n  required: false\ninput: {paths: [x]}\n", "authentication.required"),
        ("authentication: {required: true}\n", "input.paths"),
        ("- a list\n", "mapping"),
        ("a: [\n", "not YAML"),
    ],
)
def test_the_check_refuses_a_file_that_opens_the_inbox_or_reads_nothing(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / evebox.CONFIG_FILE
    path.write_text(text)
    with pytest.raises(ValidationError, match=re.escape(reason)):
        evebox.check_config(path)


def test_the_data_directory_is_roots_alone_even_if_the_engine_made_it(tmp_path: Path) -> None:
    document = {
        "paths": {"state_dir": str(tmp_path / "state")},
        "shipping": {"secrets_file": str(tmp_path / "secrets.yaml")},
    }
    settings = validate_document(document, "test", MACHINE)
    made = evebox.data_directory(settings)
    assert made == tmp_path / "state" / "evebox"
    assert made.stat().st_mode & 0o777 == 0o700
    made.chmod(0o755)  # as Docker makes a missing bind-mount source
    assert evebox.data_directory(settings).stat().st_mode & 0o777 == 0o700
