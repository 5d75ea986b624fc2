"""What every renderer returns: a generated file with the real tool that must accept it.

Validation with the real tool (suricata -T, promtool, the VRL compiler) is attached to each
file, so applying can refuse a file before it replaces the running one.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ids2.errors import Ids2Error

Validator = Callable[[Path], str]
"""Checks a candidate file (at a temporary path); returns a one-line note such as
'suricata -T: ok' and raises ValidationError with the tool's own message when it fails."""


class ValidationError(Ids2Error):
    """A rendered file was refused by its validating tool; the running one stays."""

    exit_status = 3


@dataclass(frozen=True)
class RenderedFile:
    """One generated file: its name in the output directory, content and validator."""

    name: str
    content: str
    validator: Validator | None = None
    mode: int = 0o644


def check_with_tool(command: list[str], label: str, timeout: float = 120) -> str:
    """Run a validating tool; its own message in a ValidationError when it refuses."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    if result.returncode != 0:
        raise ValidationError(f"{label}: {(result.stderr + result.stdout).strip()}")
    return f"{label}: ok"


def tool_missing_note(tool: str) -> str | None:
    """A 'not checked' note when `tool` is not on PATH, else None."""
    if shutil.which(tool) is None:
        return f"not checked: {tool} is not installed"
    return None
