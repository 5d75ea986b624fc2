"""Apply rendered files safely: validate every candidate, then swap them in atomically.

Nothing replaces a running file until every candidate has passed its validator. Every
candidate is written before the first validator runs, so a validator can check its file
together with another of the same batch (`as_applied`). A replaced file's previous content
is kept as NAME.last-good for rollback, and callers are told which files changed so that
only those services are reloaded.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ids2.common.rendered import RenderedFile, ValidationError

log = logging.getLogger(__name__)
LAST_GOOD_SUFFIX = ".last-good"


@dataclass
class ApplyReport:
    """What happened to each file: changed, unchanged, and each validator's note."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def _candidate_path(directory: Path, name: str) -> Path:
    return directory / f".{name}.candidate"


def as_applied(candidate: Path, name: str) -> Path:
    """For a validator of `candidate`: the file `name` as it will be once the batch is
    applied, its candidate in the same batch, else the one installed beside it."""
    sibling = _candidate_path(candidate.parent, name)
    return sibling if sibling.exists() else candidate.parent / name


def apply_files(files: list[RenderedFile], directory: Path) -> ApplyReport:
    """Validate all `files` as candidates in `directory`, then install the changed ones.

    Raises ValidationError naming every refused file (with the tool's message) and leaves
    every existing file untouched in that case.
    """
    directory.mkdir(parents=True, exist_ok=True)
    report = ApplyReport()
    failures: list[str] = []
    candidates: list[tuple[RenderedFile, Path]] = []
    try:
        for rendered in files:
            candidate = _candidate_path(directory, rendered.name)
            candidate.write_text(rendered.content, encoding="utf-8")
            os.chmod(candidate, rendered.mode)
            candidates.append((rendered, candidate))
        for rendered, candidate in candidates:
            if rendered.validator is None:
                report.notes[rendered.name] = "no validator"
                continue
            try:
                report.notes[rendered.name] = rendered.validator(candidate)
            except ValidationError as error:
                failures.append(f"{rendered.name}: {error}")
        if failures:
            raise ValidationError(
                "refused, the running configuration is unchanged:\n" + "\n".join(failures)
            )
        for rendered, candidate in candidates:
            _install(rendered, candidate, directory / rendered.name, report)
    finally:
        for _, candidate in candidates:
            candidate.unlink(missing_ok=True)
    return report


def _install(rendered: RenderedFile, candidate: Path, target: Path, report: ApplyReport) -> None:
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current == rendered.content:
        report.unchanged.append(rendered.name)
        return
    if current is not None:
        last_good = target.with_name(target.name + LAST_GOOD_SUFFIX)
        last_good.write_text(current, encoding="utf-8")
        os.chmod(last_good, rendered.mode)
    os.replace(candidate, target)
    report.changed.append(rendered.name)
    log.info("installed %s (%s)", target, report.notes.get(rendered.name, ""))
