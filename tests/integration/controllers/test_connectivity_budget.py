"""A probe round, and verify's canary search, fit in their time budget when the endpoint
blackholes, so the watchdogs of ids2-connectivity.service and ids2-verify.service never
kill a controller that is only waiting on the network."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ids2.common.deadline import ProbeError
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.connectivity.round import ROUND_BUDGET_SECONDS, probe_round
from ids2.shipping.canary_sinks import OpenSearchSink
from ids2.shipping.opensearch.http import make_http_client
from tests.support.blackhole import Blackhole

pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))
UNITS = Path(__file__).resolve().parents[3] / "systemd"
# Long enough that one check alone outlasts the watchdog without the round's budget.
CHECK_TIMEOUT = 30.0


def blackholed_config(endpoint: str) -> Config:
    document = {
        "shipping": {"opensearch": {"endpoint": endpoint}},
        "connectivity": {"timeout_seconds": CHECK_TIMEOUT},
    }
    return validate_document(document, "test", MACHINE)


@pytest.mark.parametrize(
    ("scheme", "stuck_check", "reason"),
    [
        ("https", "tls", "TLS handshake with localhost"),
        # The probe's client timeout is cut to what the round has left, so either that
        # timeout or the round's deadline ends it first: both within the budget.
        ("http", "opensearch", "OpenSearch probe"),
    ],
)
def test_a_blackholed_endpoint_fails_within_the_budget(
    scheme: str, stuck_check: str, reason: str
) -> None:
    with Blackhole() as hole:
        config = blackholed_config(f"{scheme}://localhost:{hole.port}")
        started = time.monotonic()
        checks = probe_round(config, budget=1.0)
        elapsed = time.monotonic() - started
    assert checks["tcp"].ok, "the blackhole accepts TCP"
    assert not checks[stuck_check].ok
    assert reason in str(checks[stuck_check].error)
    assert elapsed < CHECK_TIMEOUT, "the round must stop at its budget, not the check's timeout"


def test_a_blackholed_canary_search_fails_within_the_budget() -> None:
    with Blackhole() as hole:
        config = blackholed_config(f"http://localhost:{hole.port}")
        sink = OpenSearchSink(make_http_client(config, CHECK_TIMEOUT), "ids2-logs", budget=1.0)
        with pytest.raises(ProbeError, match="canary search in ids2-logs-\\* took longer"):
            sink.arrived({"some-canary"})


@pytest.mark.parametrize("unit", ["ids2-connectivity.service", "ids2-verify.service"])
def test_the_round_budget_fits_between_watchdog_pings(unit: str) -> None:
    """The runtime pings every half period, between steps: a step delays a ping by its length."""
    match = re.search(r"^WatchdogSec=(\d+)$", (UNITS / unit).read_text(), re.MULTILINE)
    assert match is not None, f"{unit} sets no WatchdogSec"
    assert int(match.group(1)) / 2 > ROUND_BUDGET_SECONDS
