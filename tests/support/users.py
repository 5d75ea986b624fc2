"""A throwaway system user, made the way the package makes `suricata`, for tests and
benches that run Suricata with `run-as` without naming the real user (whose existence
changes how every other test on the machine renders Suricata's config)."""

from __future__ import annotations

import pwd
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def system_user(name: str) -> Iterator[pwd.struct_passwd]:
    """The user `name` with a group of its own, removed when the block ends."""
    options = ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
    subprocess.run(["useradd", *options, "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=True)
