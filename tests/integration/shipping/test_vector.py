"""vector.toml through apply: every VRL program compiled by the upstream compiler, the Redis
restore step run on what the redis sink writes, and `vector validate` where Vector exists."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ids2.common.apply import apply_files
from ids2.common.rendered import ValidationError
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.shipping.vector import RESTORE_VRL, render
from ids2.shipping.vector_check import check_structure

vrl_python = pytest.importorskip("vrl_python")
pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))
MODES = {
    "spool": {},
    "aws with redis": {
        "opensearch": {"endpoint": "https://search-x.eu-west-1.es.amazonaws.com", "auth": "aws"}
    },
    "basic, no redis": {
        "opensearch": {"endpoint": "https://os.lan:9200", "auth": "basic"},
        "redis": {"enabled": False},
    },
}


def config(tmp_path: Path, shipping: dict[str, Any]) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("opensearch_username: sensor\nopensearch_password: pa55-word\n")
    return validate_document(
        {"shipping": {**shipping, "secrets_file": str(secrets)}}, "test", MACHINE
    )


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_applies_with_its_vrl_compiled(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "rendered"
    report = apply_files(render(config(tmp_path, MODES[mode])), out)
    document = tomllib.loads((out / "vector.toml").read_text())
    programs = sum(1 for t in document["transforms"].values() if t["type"] == "remap")
    assert report.notes["vector.toml"].startswith(f"inputs wired; {programs} VRL programs compile")
    assert (out / "vector.env").stat().st_mode & 0o777 == 0o600


def test_vrl_that_does_not_compile_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    apply_files(render(config(tmp_path, MODES["aws with redis"])), out)
    text = (out / "vector.toml").read_text().replace("del(.source_type)", "del(.source_type")
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(
        ValidationError, match=r"transforms\.redis_restore: the VRL does not compile"
    ):
        check_structure(broken)


def from_redis(document: dict[str, Any]) -> dict[str, Any]:
    """An ECS document as the redis source hands it over: JSON decoded, source_type added."""
    return {**json.loads(json.dumps(document)), "source_type": "redis"}


def test_restore_gives_back_a_timestamp_so_the_index_is_the_events_day() -> None:
    runtime = vrl_python.VRLRuntime(timezone="UTC")
    document = {
        "@timestamp": "2026-11-24T23:59:59.123456Z",
        "ids2": {"doc_id": "abc"},
        "source": {"ip": "10.0.0.1", "port": 5353},
    }
    restored = runtime.execute(
        RESTORE_VRL + '.ids2.timestamp_is_typed = is_timestamp(."@timestamp")',
        from_redis(document),
    ).processed_event
    assert restored["ids2"]["timestamp_is_typed"] is True
    assert restored["@timestamp"].startswith("2026-11-24 23:59:59.123456")
    assert "source_type" not in restored
    assert restored["source"] == document["source"]


def test_restore_fails_on_a_document_without_a_timestamp() -> None:
    # drop_on_error + reroute_dropped send it to the dead letter instead of today's index.
    with pytest.raises(RuntimeError, match=r"expected string, got null"):
        vrl_python.VRLRuntime(timezone="UTC").execute(RESTORE_VRL, from_redis({"x": 1}))


@pytest.mark.skipif(shutil.which("vector") is None, reason="no vector binary on PATH")
@pytest.mark.parametrize("mode", MODES)
def test_vector_validate_accepts_each_mode(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "rendered"
    report = apply_files(render(config(tmp_path, MODES[mode])), out)
    assert report.notes["vector.toml"].endswith("vector validate: ok")


def fake_vector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """A `vector` on PATH that checks how ids2 calls it; not Vector."""
    binary = tmp_path / "bin" / "vector"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n" + script)
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}:/usr/bin:/bin")


def test_vector_validate_gets_host_paths_and_every_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_vector(
        tmp_path,
        monkeypatch,
        '[ "$1 $2" = "validate --no-environment" ] || exit 2\n'
        'file=$(sed -n \'s/^file = "\\(.*\\)"$/\\1/p\' "$3")\n'
        '[ -f "$file" ] || { echo "no VRL at $file"; exit 3; }\n'
        '[ "$IDS2_OPENSEARCH_PASSWORD" = validate ] || { echo "variable unset"; exit 4; }\n',
    )
    out = tmp_path / "rendered"
    report = apply_files(render(config(tmp_path, MODES["basic, no redis"])), out)
    assert report.notes["vector.toml"].endswith("vector validate: ok")


def test_what_vector_validate_refuses_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_vector(tmp_path, monkeypatch, 'echo "x Configuration error: unknown field"; exit 78\n')
    with pytest.raises(ValidationError, match="vector validate: x Configuration error"):
        apply_files(render(config(tmp_path, MODES["spool"])), tmp_path / "rendered")
