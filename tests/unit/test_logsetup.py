"""Journal-friendly logging and secret masking, the same through the logging module and
through the controllers' Logger."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest

from ids2.logsetup import mask, redact

SCRIPT = textwrap.dedent(
    """
    import logging, os, sys
    from ids2.logsetup import Logger, configure, redact
    if os.environ.get("FAKE_JOURNAL"):
        st = os.fstat(2)
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    configure()
    redact("s3cr3t-pass")
    log = Logger("ids2.test") if os.environ["LOGGER"] == "ids2" else logging.getLogger("ids2.test")
    log.debug("not shown without --debug")
    log.error("login with s3cr3t-pass failed")
    log.info("two\\nlines")
    """
)


LOGGERS = pytest.mark.parametrize("logger", ["ids2", "logging"])


def run(fake_journal: bool, logger: str) -> str:
    env = dict(os.environ, FAKE_JOURNAL="1" if fake_journal else "", LOGGER=logger)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stderr


@LOGGERS
def test_journal_lines_carry_priorities_and_no_timestamps(logger: str) -> None:
    assert run(fake_journal=True, logger=logger).splitlines() == [
        "<3>ids2.test: login with *** failed",
        "<6>ids2.test: two",
        "<6>lines",
    ]


@LOGGERS
def test_terminal_lines_carry_time_and_level(logger: str) -> None:
    lines = run(fake_journal=False, logger=logger).splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR ids2.test: login with \*\*\* failed", lines[0]
    )
    assert re.fullmatch(r"[\d:, -]{23} INFO ids2.test: two", lines[1])


def test_mask_ignores_empty_secrets() -> None:
    redact("", "other-secret")
    assert mask("an other-secret here") == "an *** here"
    assert logging.getLogger("ids2").name == "ids2"
