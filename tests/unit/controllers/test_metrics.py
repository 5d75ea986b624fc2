"""The metrics controller's alert counts: metrics.top_signatures applies, a reload resets
nothing."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.controllers.metrics import MetricsController
from ids2.state import StateStore
from tests.support.ports import free_port
from tests.unit.alerts.test_collector import eve_alert

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


def signature_lines(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode()
    return [line for line in text.splitlines() if line.startswith("ids2_alert_signature_total")]


def test_top_signatures_bounds_the_series_and_a_reload_keeps_the_counts(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts.json.1796378400"
    alerts.write_bytes(b"")

    def config(top: int) -> dict[str, object]:
        document = {
            "ramdisk": {"mount_point": str(tmp_path)},
            "metrics": {"port": port, "top_signatures": top},
        }
        return validate_document(document, "test", MACHINE)

    port = free_port()
    controller = MetricsController(config(2), StateStore(tmp_path / "run"))
    controller.setup()
    try:
        alerts.write_bytes(b"".join(eve_alert(sid, 2) + b"\n" for sid in (1, 2, 3, 1)))
        assert signature_lines(port) == [
            'ids2_alert_signature_total{severity="2",sid="1",signature="rule 1"} 2.0',
            'ids2_alert_signature_total{severity="2",sid="2",signature="rule 2"} 1.0',
            'ids2_alert_signature_total{severity="",sid="other",signature="other"} 1.0',
        ]
        controller.apply_config(config(1))
        with alerts.open("ab") as handle:
            handle.write(eve_alert(1, 2) + b"\n")
        assert signature_lines(port) == [
            'ids2_alert_signature_total{severity="2",sid="1",signature="rule 1"} 3.0',
            'ids2_alert_signature_total{severity="",sid="other",signature="other"} 2.0',
        ]
    finally:
        controller.teardown()


def test_the_stack_comes_from_the_root_reports_state_file_while_it_is_fresh(
    tmp_path: Path,
) -> None:
    """No Docker socket here: the report ids2-stack-report writes, passed on while fresh."""
    store = StateStore(tmp_path)
    controller = MetricsController(validate_document(None, "t", MACHINE), store)
    assert controller.stack_report() == {
        "error": "no stack report yet (ids2-stack-report.timer writes one a minute)"
    }
    services = {"vector": {"status": "running", "health": "none", "ok": True, "restart_count": 1}}
    store.write("stack", {"services": services})
    assert controller.stack_report() == {"services": services}
    store.write("stack", {"error": "no Docker engine answers on /run/docker.sock: refused"})
    assert controller.stack_report() == {
        "error": "no Docker engine answers on /run/docker.sock: refused"
    }
    written = store.path("stack")
    old = json.loads(written.read_text())
    written.write_text(json.dumps({**old, "updated_at": time.time() - 181}))
    assert controller.stack_report() == {
        "error": "the stack report is 181 s old: is ids2-stack-report.timer running?"
    }
