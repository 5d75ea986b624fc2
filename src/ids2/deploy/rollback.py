"""`ids2 rollback`: the rendered configs of an earlier good deploy, back in place and in use.

The files come from the config history, pass the same validators as at deploy time, and
replace only what differs. Then what uses them follows: the rendered units and drop-ins
are installed and acted on, and Suricata and Prometheus reload, as in phase B; when a file
of the stack changed, the stack is brought up again as in phase D (compose recreates the
services whose settings changed, Vector restarts for its own files), so the running stack
matches the files again.
"""

from __future__ import annotations

from pathlib import Path

from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile
from ids2.deploy.history import ConfigHistory
from ids2.deploy.phases import (
    STACK_FILES,
    DeployContext,
    install_rendered_units,
    reload_changed,
    stack_up,
)
from ids2.deploy.render import validator_for


def rollback(context: DeployContext, revision: str) -> str:
    """Restore the rendered files recorded at `revision` and apply them; a summary line.

    Raises HistoryError for an unknown revision, ValidationError when a recorded file no
    longer passes its validator (nothing is replaced then), StackError from the stack.
    """
    history = ConfigHistory(Path(context.config["deploy"]["history_dir"]))
    target = history.last(revision)
    files = [
        RenderedFile(name, text, validator_for(name))
        for name, text in history.files_at(target.revision).items()
    ]
    report = apply_files(files, context.rendered_dir)
    context.changed = report.changed
    units, moved = install_rendered_units(context)
    reload_changed(context, suricata_restarted=moved)
    done = [units] if units else []
    if STACK_FILES & set(report.changed):
        done.append(f"stack: {stack_up(context)}")
    history.record(
        context.rendered_dir,
        [rendered.name for rendered in files],
        f"rollback to {target.revision[:12]} ({target.subject})",
    )
    changed = ", ".join(report.changed) or "nothing"
    return "; ".join([f"rolled back to {target.revision[:12]}: changed {changed}", *done])
