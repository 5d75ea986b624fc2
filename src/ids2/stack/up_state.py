"""Why the stack is not running, as `ids2 up` found when it tried to start it.

`ids2 up` (what `make run` starts) publishes the outcome of its bring-up as the state file
`up`; `ids2 status` and the verify controller read it, so a sensor whose stack could not
start says why (no engine, an image that cannot be pulled) instead of showing only a
canary that never arrived. Kept small and free of heavy imports: controllers read it.
"""

from __future__ import annotations

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from ids2.state import StateStore

UP_STATE = "up"


def publish_stack_outcome(store: StateStore, reason: str | None, summary: str) -> None:
    """Record `ids2 up`'s bring-up: `reason` why the stack is not running, None when it is."""
    store.write(UP_STATE, {"stack_running": reason is None, "reason": reason, "summary": summary})


def clear_stack_outcome(store: StateStore) -> None:
    """Forget the outcome once `ids2 up` ends: its reason no longer describes the machine."""
    store.path(UP_STATE).unlink(missing_ok=True)


def _has_containers(metrics_stack: dict[str, Any] | None) -> bool:
    return bool(metrics_stack and metrics_stack.get("services"))


def not_running_reason(store: StateStore) -> str | None:
    """Why the stack is not running, from `ids2 up`'s state, as long as no container of the
    stack exists (the metrics controller's report); None when up said nothing or
    containers exist since."""
    up = store.read(UP_STATE)
    if up is None or up.data.get("stack_running", True):
        return None
    metrics = store.read("metrics")
    if metrics is not None and _has_containers(metrics.data.get("stack")):
        return None
    reason = up.data.get("reason")
    return str(reason) if reason else None
