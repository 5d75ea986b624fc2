"""Deploy phases run in order, report progress, and stop at the first failure."""

from __future__ import annotations

import io

import pytest

from ids2.deploy.runner import DeployError, Phase, Warned, run_phases
from ids2.errors import Ids2Error


def fail() -> str:
    raise Ids2Error("endpoint unreachable: check shipping.opensearch.endpoint")


def test_stops_at_first_failure_and_says_what_to_fix() -> None:
    ran: list[str] = []

    def phase(letter: str) -> Phase:
        return Phase(letter, f"phase {letter}", lambda: ran.append(letter) or f"did {letter}")

    out = io.StringIO()
    report = run_phases([phase("A"), Phase("B", "render", fail), phase("C")], out=out)
    assert ran == ["A"]
    assert not report.ok
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("A phase A: ok (")
    assert lines[0].endswith(" did A")
    assert lines[1].startswith("B render: FAILED (")
    assert "check shipping.opensearch.endpoint" in lines[1]
    assert len(lines) == 2


def test_one_phase_alone() -> None:
    out = io.StringIO()
    report = run_phases(
        [Phase("A", "a", lambda: "a"), Phase("C", "stack", lambda: "up")], only="c", out=out
    )
    assert [r.letter for r in report.results] == ["C"]


def test_unknown_phase() -> None:
    with pytest.raises(DeployError, match="no deploy phase 'Z'; phases are A, B"):
        run_phases([Phase("A", "a", str), Phase("B", "b", str)], only="Z", out=io.StringIO())


def test_a_warning_is_said_and_the_deploy_goes_on() -> None:
    out = io.StringIO()
    phases = [
        Phase("E", "verify", lambda: Warned("no packets seen yet on eth0")),
        Phase("F", "record", lambda: "recorded"),
    ]
    report = run_phases(phases, out=out)
    assert report.ok and [r.warning for r in report.results] == [True, False]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("E verify: WARNING (") and lines[0].endswith("on eth0")
    assert lines[1].startswith("F record: ok (")
