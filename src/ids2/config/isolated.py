"""The controllers read their config in a short-lived child, so they never hold the validator.

Parsing and validating imports PyYAML, the schema and its checks: about 3 MB of private
memory that a Python process does not give back once it is loaded (measured: dropping the
modules after validation freed none of it), for code each controller runs once at start and
on SIGHUP. A forked child does that work and sends the values back as JSON over a pipe
(YAML's scalars, mappings and lists survive it unchanged); the controller keeps only them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ids2.config.values import Config
from ids2.errors import ConfigError, Ids2Error


def _validate_into(path: Path, write_end: int) -> None:
    """In the child: the outcome of validating `path`, as JSON on `write_end`."""
    try:
        from ids2.config.load import load_config

        config = load_config(path)
        outcome = {"source": config.source, "values": config.values, "warnings": config.warnings}
    except ConfigError as error:
        outcome = {"source": error.source, "problems": error.problems}
    except BaseException as error:  # reported by the parent, as it was raised
        outcome = {"crash": f"{type(error).__name__}: {error}"}
    with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
        json.dump(outcome, pipe)


def read_config(path: Path) -> Config:
    """The validated config in `path`, as `load_config` returns it; raises ConfigError
    listing every problem, and Ids2Error when the child could not validate at all."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        status = 0
        try:
            _validate_into(path, write_end)
        except BaseException:  # the parent sees an empty pipe
            status = 1
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(child, 0)
    if not text:
        raise Ids2Error(f"{path}: the configuration could not be validated")
    outcome = json.loads(text)
    if "crash" in outcome:
        raise Ids2Error(f"{path}: validating the configuration failed: {outcome['crash']}")
    if "problems" in outcome:
        raise ConfigError(outcome["source"], outcome["problems"])
    return Config(outcome["source"], outcome["values"], outcome["warnings"])
