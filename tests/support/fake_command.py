"""A command on PATH that records its arguments, for code that shells out to systemctl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def recording_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, then: str
) -> Path:
    """Put a `name` script first on PATH that appends its arguments to the returned file,
    then runs the shell text `then` (its answer and exit status)."""
    calls = tmp_path / f"{name}.calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n{then}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls
