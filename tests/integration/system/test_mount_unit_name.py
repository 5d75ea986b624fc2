"""The RAM disk's mount unit name, against systemd's own escaping (`systemd-escape`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ids2.system.unit_names import mount_unit_name

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("systemd-escape") is None, reason="needs systemd-escape"),
]


@pytest.mark.parametrize(
    "path",
    [
        "/mnt/ram_logs",
        "/srv/ids2-ram",  # '-' is systemd's separator: escaped
        "/var/lib/ids 2/.hidden",  # a space; a dot leading a component but not the name
        "/.ram",  # a dot leading the name: escaped
        "/data//x/",  # doubled and trailing slashes go
        "/a/./b",  # so does '.'
        "/mnt/ünï",  # UTF-8, byte by byte
        "/",
    ],
)
def test_the_name_is_the_one_systemd_gives(path: str) -> None:
    escaped = subprocess.run(
        ["systemd-escape", "--path", "--suffix=mount", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert mount_unit_name(path) == escaped
