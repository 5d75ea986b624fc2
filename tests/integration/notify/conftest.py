"""Every notify test runs trixie's Alertmanager 0.28.1 and its amtool, the version the stack
pins (bookworm's 0.25 lacks the Teams workflow receiver): first on PATH for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.trixie import ALERTMANAGER, path_with, trixie_binaries


@pytest.fixture(scope="session")
def alertmanager_binaries() -> Path:
    """The directory with trixie's amtool and prometheus-alertmanager."""
    return trixie_binaries(*ALERTMANAGER)


@pytest.fixture(autouse=True)
def _trixie_alertmanager_first(
    alertmanager_binaries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_with(alertmanager_binaries))
