"""Talking to systemd as PID 1 through systemctl: is it there, and restart or start units."""

from __future__ import annotations

import os
import subprocess

from ids2.errors import Ids2Error


def systemd_is_running() -> bool:
    """True when systemd is PID 1 on this machine (not in a container or a chroot)."""
    return os.path.isdir("/run/systemd/system")


def systemctl(*args: str, timeout: float = 120, check: bool = True) -> str:
    """Run systemctl; Ids2Error with its message when it fails (unless not `check`: for
    questions such as is-active, whose answer is its exit status)."""
    result = subprocess.run(
        ["systemctl", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and result.returncode != 0:
        raise Ids2Error(f"systemctl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout
