"""The stack report's state file, which the root oneshot `ids2 stack-report` and the deploy
write (stack.engine) and the controllers read.

Apart from stack.engine, whose engine client costs http.client, email and ssl: the resource
controller reads the report at the cost of this module alone.
"""

from __future__ import annotations

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from ids2.state import State

REPORT_STATE = "stack"
"""The report's state file in the runtime directory, written as root and read by ids2."""


def no_running_container(report: State | None) -> str | None:
    """Why the latest report shows no running container of the stack (there is no report
    yet, the engine could not be read, none runs); None when it shows one."""
    if report is None:
        return "no stack report yet"
    if "error" in report.data:
        return f"the stack report says: {report.data['error']}"
    services = report.data.get("services") or {}
    if not any(service.get("status") == "running" for service in services.values()):
        return "no container of the stack runs"
    return None
