"""`ids2 alerts` against the real OpenSearch node: the same answers as the spool gives."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ids2.cli import main
from ids2.shipping.bulk import BulkIndexer
from ids2.shipping.opensearch.setup import index_template, template_name
from tests.integration.alerts.conftest import Replayed
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration
EVER = ["--since", "2000-01-01"]
PREFIX = "ids2-logs"


def use_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"shipping:\n  opensearch:\n    endpoint: {endpoint}\n"
        f"  spool:\n    directory: {tmp_path / 'spool'}\n"
    )
    monkeypatch.setenv("IDS2_CONFIG", str(config))


def answers(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(["alerts", *arguments, *EVER]) == 0
    return capsys.readouterr().out


def test_opensearch_and_spool_agree_on_real_alerts(
    opensearch: NodeTarget,
    replayed: Replayed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = opensearch.client()
    node.transport.perform_request(
        "PUT", f"/_index_template/{template_name(PREFIX)}", body=index_template(PREFIX)
    )
    lines = [json.dumps(document).encode() for document in replayed.documents]
    assert BulkIndexer(node, PREFIX).index_lines(lines).indexed == len(lines)
    assert sum(opensearch.counts().values()) == len(lines)  # refreshed: all searchable
    replayed.write_spool(tmp_path / "spool")
    use_config(tmp_path, monkeypatch, opensearch.url)
    first = replayed.alerts[0]["alert"]
    name = next(
        alert["alert"]["signature"] for alert in replayed.alerts if alert["alert"]["signature"]
    )
    for arguments in (
        ["--summary", "--json"],
        ["--json", "--limit", "1000"],
        ["--sid", replayed.sids().most_common(1)[0][0]],
        ["--ip", replayed.alerts[0]["dest_ip"], "--severity", str(first["severity"])],
        ["--signature", name[2:9].swapcase()],
    ):
        from_node = answers(capsys, *arguments, "--source", "opensearch")
        from_spool = answers(capsys, *arguments, "--source", "spool")
        if "--json" in arguments and "--summary" not in arguments:
            from_node, from_spool = (sorted(text.splitlines()) for text in (from_node, from_spool))
        assert from_node == from_spool, arguments
        assert from_node != "no alerts\n", arguments
    summary = json.loads(answers(capsys, "--summary", "--json"))  # auto: the node
    assert summary["total"] == len(replayed.alerts)


def test_opensearch_down_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    use_config(tmp_path, monkeypatch, f"http://127.0.0.1:{port}")
    assert main(["alerts"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"ids2: OpenSearch at http://127.0.0.1:{port}: ")
    assert error.count("\n") == 1
