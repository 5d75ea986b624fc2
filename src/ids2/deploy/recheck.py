"""Checking, in phase D, the files phase B had to apply unchecked.

Where the host lacks promtool, amtool or Vector, their files are checked in the service's
image (common.image_check); after a plain `apt install` those images arrive only with the
first deploy's phase D, so phase B applies prometheus.yml, alertmanager.yml and vector.toml
with a "not checked" note. Once phase D has the images, and before any service starts, each
such file gets its check. A refusal puts back the file's last recorded version from the
config history (checked again) or, where the history has none (a first deploy), fails the
phase with the tool's message: no service starts on a file nothing has checked.

Phase B names those files in a small file of the state directory, and phase D forgets them
once checked: `ids2 deploy --phase D` run alone, after a deploy that stopped before D,
checks them too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ids2.common.image_check import lacked_image
from ids2.common.rendered import ValidationError
from ids2.config.edit import write_atomically
from ids2.deploy.history import ConfigHistory, HistoryError
from ids2.deploy.render import validator_for
from ids2.deploy.runner import DeployError

PENDING_FILE = "deploy-unchecked"
"""In paths.state_dir: the rendered files phase B applied unchecked, one name a line."""


def unchecked_names(notes: dict[str, str]) -> list[str]:
    """The files whose check note (an apply report's) says an image check could not run."""
    return [name for name, note in notes.items() if lacked_image(note)]


def remember_unchecked(state_dir: Path, notes: dict[str, str]) -> list[str]:
    """Keep the names of the files `notes` (every rendered file's) say were applied
    unchecked for phase D, replacing what an earlier phase B kept; those names."""
    names = unchecked_names(notes)
    path = state_dir / PENDING_FILE
    if not names:
        path.unlink(missing_ok=True)
        return names
    state_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(path, "".join(f"{name}\n" for name in names))
    return names


def check_pending(rendered_dir: Path, history_dir: Path, state_dir: Path) -> dict[str, str]:
    """check_applied on the files phase B kept the names of, which are forgotten once
    checked (kept when the check fails, for the next phase D); each one's note, by name."""
    path = state_dir / PENDING_FILE
    try:
        names = path.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return {}
    checked = check_applied(names, rendered_dir, history_dir)
    remember_unchecked(state_dir, checked)
    return checked


def check_applied(names: Sequence[str], rendered_dir: Path, history_dir: Path) -> dict[str, str]:
    """Check each installed file of `names` with its validator; its note, by name.

    A refused file is replaced by its last version in the config history when that one
    passes; DeployError with the tool's message when there is none, or it fails too.
    """
    notes = {}
    for name in names:
        validator = validator_for(name)
        if validator is None:
            continue
        path = rendered_dir / name
        try:
            notes[name] = validator(path)
        except ValidationError as refused:
            notes[name] = _restore(path, history_dir, str(refused))
    return notes


def _last_recorded(history_dir: Path, name: str) -> str | None:
    history = ConfigHistory(history_dir)
    if not (history_dir / ".git").is_dir():
        return None
    try:
        return history.files_at(history.last().revision).get(name)
    except HistoryError:  # a repository with no commit yet
        return None


def _restore(path: Path, history_dir: Path, refused: str) -> str:
    """Put back the history's version of `path` once it passes; the note saying so."""
    recorded = _last_recorded(history_dir, path.name)
    if recorded is None:
        raise DeployError(
            f"{path} was applied unchecked and is refused now that its image is here, with "
            f"no checked version in the config history {history_dir} to restore: {refused}"
        )
    candidate = path.with_name(f".{path.name}.restored")
    candidate.write_text(recorded, encoding="utf-8")
    os.chmod(candidate, path.stat().st_mode & 0o777)
    validator = validator_for(path.name)
    assert validator is not None  # only files with a validator get here
    try:
        validator(candidate)
    except ValidationError as error:
        candidate.unlink()
        raise DeployError(
            f"{path} is refused ({refused}) and its version in the config history too: {error}"
        ) from None
    os.replace(candidate, path)
    return f"refused ({refused}); restored the version in the config history"
