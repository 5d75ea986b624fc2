"""State files: atomic replacement, timestamps, tolerant reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ids2.state import StateStore, runtime_dir
from ids2.status.report import collect, judge


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "run")
    store.write("resource", {"level": 2, "summary": "level 2"})
    state = store.read("resource")
    assert state is not None
    assert state.data["level"] == 2
    assert state.data["pid"] == os.getpid()
    assert 0 <= state.age() < 5
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["resource.json"]


def test_unreadable_or_foreign_files_read_as_absent(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    (tmp_path / "broken.json").write_text("{half")
    (tmp_path / "list.json").write_text("[1, 2]")
    assert store.read("broken") is None
    assert store.read("list") is None
    assert store.read("never") is None
    assert store.read_all() == {}


def test_runtime_dir_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDS2_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    assert runtime_dir() == Path("/run/ids2")
    monkeypatch.setenv("RUNTIME_DIRECTORY", "/run/ids2:/run/other")
    assert runtime_dir() == Path("/run/ids2")
    monkeypatch.setenv("IDS2_RUNTIME_DIR", "/tmp/x")
    assert runtime_dir() == Path("/tmp/x")


def test_stale_state_is_reported(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.write("resource", {"summary": "ok", "healthy": True, "interval": 2})
    state = store.read("resource")
    assert state is not None
    assert judge("resource", state, state.updated_at + 1).state == "ok"
    assert judge("resource", state, state.updated_at + 17).state == "stale"
    healths = {h.name: h.state for h in collect(store)}
    assert healths["resource"] == "ok"
    assert healths["verify"] == "missing"
