"""`ids2 run`'s command line is read without argparse; it must mean what argparse says."""

from __future__ import annotations

import pytest

from ids2.cli import build_parser
from ids2.cli.run import parse_run

READ_WITHOUT_ARGPARSE = [
    ["run", "resource"],
    ["run", "metrics", "--config", "/etc/x.yaml"],
    ["run", "--config", "/etc/x.yaml", "verify"],
    ["run", "verify", "--config=/etc/x.yaml"],
    ["--config", "/a.yaml", "run", "connectivity"],
    ["--config", "/a.yaml", "run", "connectivity", "--config", "/b.yaml"],
    ["--debug", "run", "resource"],
    ["--debug", "--config=", "run", "resource"],
    ["run", "nonsense"],
    ["run", "run"],
]
LEFT_TO_ARGPARSE = [
    [],
    ["run"],
    ["run", "-h"],
    ["run", "--help"],
    ["run", "resource", "--debug"],
    ["run", "resource", "extra"],
    ["run", "resource", "--config"],
    ["run", "resource", "--config", "--debug"],
    ["run", "resource", "--conf", "/x.yaml"],
    ["--deb", "run", "resource"],
    ["run", "--", "resource"],
    ["status"],
    ["config", "validate"],
    ["resource", "run"],
]


@pytest.mark.parametrize("arguments", READ_WITHOUT_ARGPARSE, ids=" ".join)
def test_run_line_means_what_argparse_says(arguments: list[str]) -> None:
    request = parse_run(arguments)
    assert request is not None
    args = build_parser().parse_args(arguments)
    assert args.command == "run"
    assert (request.controller, request.config, request.debug) == (
        args.controller,
        args.config,
        args.debug,
    )


@pytest.mark.parametrize("arguments", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_goes_to_argparse(arguments: list[str]) -> None:
    assert parse_run(arguments) is None


def test_help_still_lists_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    assert "CONTROLLER" in capsys.readouterr().out
