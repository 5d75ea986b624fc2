"""The error envelope OpenSearch wraps every refusal in, for the doubles' answers.

OpenSearch wraps each refusal the same way (`error.root_cause`, `error.type`, `error.reason`,
`status`), so one helper builds it for the ISM double and the injected faults alike.
"""

from __future__ import annotations

from typing import Any

Response = tuple[int, Any]


def error_cause(kind: str, reason: str, **details: Any) -> dict[str, Any]:
    """One `{"type", "reason", ...}` object, as in `root_cause` and bulk item errors."""
    return {"type": kind, "reason": reason, **details}


def error(status: int, kind: str, reason: str, **details: Any) -> Response:
    """The documented error envelope for a whole request refused with `status`."""
    cause = error_cause(kind, reason, **details)
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}
