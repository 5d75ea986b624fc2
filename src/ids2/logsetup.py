"""Logging to stderr that journald understands: `<3>` priority prefixes, no timestamps.

In a terminal the lines carry a timestamp and a level name instead. Secrets registered
with `redact()` are masked in every line, whatever code logs them.

The controllers log through `Logger`, not the logging module: importing logging (with
traceback, linecache, tokenize and textwrap) costs each controller process 0.6-0.7 MB of
private memory for good (measured: an interpreter holding a controller's other modules,
with and without it), for what is one line to stderr. The other commands use the logging
module, configured by `configure()` to write the same lines.
"""

from __future__ import annotations

import os
import sys
import time

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
"""The logging module's level numbers."""
_LEVEL_NAMES = {
    DEBUG: "DEBUG",
    INFO: "INFO",
    WARNING: "WARNING",
    ERROR: "ERROR",
    CRITICAL: "CRITICAL",
}
_PRIORITY = {CRITICAL: 2, ERROR: 3, WARNING: 4, INFO: 6, DEBUG: 7}
_secrets: set[str] = set()


class _Output:
    """Where lines go and which: set by `configure()`."""

    level = INFO
    journal = False


def redact(*secrets: str) -> None:
    """Mask these strings in every later log line (empty strings are ignored)."""
    _secrets.update(secret for secret in secrets if secret)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def log_line(level: int, name: str, message: str, created: float) -> str:
    """One record as it goes to stderr: priority-prefixed lines for the journal, else one
    line with the time and the level name; secrets masked."""
    text = mask(f"{name}: {message}")
    if _Output.journal:
        priority = _PRIORITY.get(level, 6)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
    return f"{stamp},{int(created % 1 * 1000):03d} {_LEVEL_NAMES.get(level, level)} {text}"


class Logger:
    """The part of `logging.Logger` the controllers use: a message with %-arguments at a
    level, written to stderr at once."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, message: str, *args: object) -> None:
        self._write(DEBUG, message, args)

    def info(self, message: str, *args: object) -> None:
        self._write(INFO, message, args)

    def warning(self, message: str, *args: object) -> None:
        self._write(WARNING, message, args)

    def error(self, message: str, *args: object) -> None:
        self._write(ERROR, message, args)

    def _write(self, level: int, message: str, args: tuple[object, ...]) -> None:
        if level < _Output.level:
            return
        text = message % args if args else message
        sys.stderr.write(log_line(level, self.name, text, time.time()) + "\n")
        sys.stderr.flush()


def stderr_is_journal() -> bool:
    """True when stderr is the journal stream systemd gave us ($JOURNAL_STREAM=dev:inode)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        status = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


def configure(debug: bool = False, logging_module: bool = True) -> None:
    """Route ids2's log lines to stderr in the form that suits where stderr goes: the
    controllers' `Logger`s, and the `ids2` loggers of the logging module unless
    `logging_module` is false (a controller, which never imports it)."""
    _Output.level = DEBUG if debug else INFO
    _Output.journal = stderr_is_journal()
    if logging_module:
        _configure_logging_module()


def _configure_logging_module() -> None:
    import logging

    class _Formatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return log_line(record.levelno, record.name, super().format(record), record.created)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(message)s"))
    root = logging.getLogger("ids2")
    root.handlers[:] = [handler]
    root.setLevel(_Output.level)
    root.propagate = False
