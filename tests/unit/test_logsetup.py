"""Journal-friendly logging and secret masking."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

from ids2.logsetup import mask, redact

SCRIPT = textwrap.dedent(
    """
    import logging, os, sys
    from ids2.logsetup import configure, redact
    if os.environ.get("FAKE_JOURNAL"):
        st = os.fstat(2)
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    configure()
    redact("s3cr3t-pass")
    log = logging.getLogger("ids2.test")
    log.error("login with s3cr3t-pass failed")
    log.info("two\\nlines")
    """
)


def run(fake_journal: bool) -> str:
    env = dict(os.environ, FAKE_JOURNAL="1" if fake_journal else "")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stderr


def test_journal_lines_carry_priorities_and_no_timestamps() -> None:
    assert run(fake_journal=True).splitlines() == [
        "<3>ids2.test: login with *** failed",
        "<6>ids2.test: two",
        "<6>lines",
    ]


def test_terminal_lines_carry_time_and_level() -> None:
    first = run(fake_journal=False).splitlines()[0]
    assert " ERROR ids2.test: login with *** failed" in first
    assert first[:4].isdigit()


def test_mask_ignores_empty_secrets() -> None:
    redact("", "other-secret")
    assert mask("an other-secret here") == "an *** here"
    assert logging.getLogger("ids2").name == "ids2"
