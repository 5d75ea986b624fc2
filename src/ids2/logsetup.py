"""Logging to stderr that journald understands: `<3>` priority prefixes, no timestamps.

In a terminal the lines carry a timestamp and a level name instead. Secrets registered
with `redact()` are masked in every record, whatever code logs them.
"""

from __future__ import annotations

import logging
import os
import sys

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
_secrets: set[str] = set()


def redact(*secrets: str) -> None:
    """Mask these strings in every later log line (empty strings are ignored)."""
    _secrets.update(secret for secret in secrets if secret)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        return "\n".join(
            f"<{priority}>{line}" for line in mask(super().format(record)).splitlines()
        )


class _TerminalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def stderr_is_journal() -> bool:
    """True when stderr is the journal stream systemd gave us ($JOURNAL_STREAM=dev:inode)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        status = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


def configure(debug: bool = False) -> None:
    """Route the `ids2` loggers to stderr in the form that suits where stderr goes."""
    handler = logging.StreamHandler(sys.stderr)
    if stderr_is_journal():
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(_TerminalFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ids2")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
