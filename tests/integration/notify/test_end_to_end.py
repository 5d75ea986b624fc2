"""Detections to notifications with the real binaries: Debian's Prometheus with our rules
scrapes the detection counters, fires Ids2Detection to trixie's Alertmanager 0.28.1 (the
stack's version; see conftest.py) running our rendered config, which posts to a webhook
receiver and a Teams workflow endpoint on loopback; and `ids2 notify test` through the same
Alertmanager to an e-mail receiver on a local SMTP sink (aiosmtpd) and to a Teams endpoint."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, generate_latest

from ids2.common.apply import apply_files
from ids2.config.load import Config
from ids2.notify.api import send_test
from ids2.notify.render import render
from ids2.stack.prometheus import alertmanager_address, prometheus_config
from tests.support.ports import free_port
from tests.unit.notify.test_render import TEAMS_URL, config_with

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs Debian's prometheus"),
]
RULES = Path(__file__).resolve().parents[3] / "stack/prometheus/rules"
GROUP_WAIT, GROUP_INTERVAL = 1, 10


class Recorder(ThreadingHTTPServer):
    """A loopback HTTP server: GET serves `body()`, POST is recorded with its time (and
    its path and query in `paths`)."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, Any]] = []
        self.paths: list[str] = []
        self.body = b""
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(self.server.body)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.paths.append(self.path)
        self.server.posts.append((time.monotonic(), json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.2)


def _start(command: list[str], ready: str, what: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_ready(ready, process, what)
    return process


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Any]:
    """Start Alertmanager (trixie's, first on PATH) on a config rendered by ids2, given as
    a function."""
    started: list[subprocess.Popen[bytes]] = []

    def start(config: Config) -> str:
        directory = tmp_path / "alertmanager"
        apply_files(render(config), directory)
        address = alertmanager_address(config)
        command = [
            "prometheus-alertmanager",
            f"--config.file={directory / 'alertmanager.yml'}",
            f"--storage.path={directory / 'data'}",
            f"--web.listen-address={address}",
            "--cluster.listen-address=",
        ]
        started.append(_start(command, f"http://{address}/-/ready", "Alertmanager"))
        return address

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Any]:
    """Start Debian's Prometheus on the rendered prometheus.yml with our rules, scraping
    and evaluating every second, given as a function."""
    started: list[subprocess.Popen[bytes]] = []

    def start(config: Config) -> None:
        document: dict[str, Any] = prometheus_config(config)
        document["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
        document["rule_files"] = [str(RULES / "*.yml")]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(document))
        port = free_port()
        command = [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        started.append(_start(command, f"http://127.0.0.1:{port}/-/ready", "Prometheus"))

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _notify(
    extra: dict[str, Any], tmp_path: Path, alertmanager_port: int, teams_url: str = TEAMS_URL
) -> Config:
    config = config_with(
        {"group_wait_seconds": GROUP_WAIT, "group_interval_seconds": GROUP_INTERVAL, **extra},
        tmp_path,
        teams_url,
    )
    config.values["stack"]["alertmanager"]["port"] = alertmanager_port
    config.values["sensor"]["name"] = "hq-01"
    return config


def test_detections_reach_the_webhook_once_per_group(
    tmp_path: Path, alertmanager: Any, prometheus: Any
) -> None:
    hook, exporter, workflow = Recorder(), Recorder(), Recorder()
    registry = CollectorRegistry()
    signatures = Counter(
        "ids2_alert_signature", "alerts", ["sid", "signature", "severity"], registry=registry
    )
    config = _notify(
        {
            "receivers": {
                "hook": {"type": "webhook", "url": f"{hook.url}/hook"},
                "team": {"type": "teams"},
            },
            "detections": {"min_severity": 2},
            "grafana_url": "https://hq-01.example.org:3000/",
        },
        tmp_path,
        free_port(),
        f"{workflow.url}/workflows/1/triggers/manual/paths/invoke?sig=s3cr3t",
    )
    config.values["metrics"]["port"] = exporter.server_address[1]
    alertmanager(config)
    prometheus(config)
    try:
        # One alert of severity 2: one notification, naming sensor, signature and count.
        signatures.labels("2100498", "GPL ATTACK_RESPONSE id check returned root", "2").inc()
        # Severity 3 is below notify.detections.min_severity: never notified.
        signatures.labels("2013028", "ET POLICY curl User-Agent Outbound", "3").inc(5)
        exporter.body = generate_latest(registry)
        counted = time.monotonic()
        while not hook.posts:
            assert time.monotonic() - counted < 30, "no notification within 30 s"
            time.sleep(0.2)
        first_at, first = hook.posts[0]
        latency = first_at - counted
        print(f"\nfirst alert counted -> webhook: {latency:.1f} s (group_wait {GROUP_WAIT} s)")
        assert first["commonLabels"]["sensor"] == "hq-01"
        [alert] = first["alerts"]
        assert alert["labels"]["sid"] == "2100498"
        assert alert["annotations"]["summary"] == (
            "1 alerts of [2100498] GPL ATTACK_RESPONSE id check returned root on hq-01 in 5 minutes"
        )
        assert alert["annotations"]["dashboard"] == "https://hq-01.example.org:3000/"
        # The same group reaches Teams as an Adaptive Card naming sensor, signature, count.
        title, text = _card(_wait_for_post(workflow, 10))
        assert title == "[ids2 hq-01] FIRING: Ids2Detection (1)"
        assert text.startswith("Sensor **hq-01**:\n\n- 1 alerts of [2100498] GPL ATTACK_RESPONSE")
        assert "on hq-01 in 5 minutes [sid 2100498, severity 2]" in text
        assert text.endswith("\n[Grafana](https://hq-01.example.org:3000/)\n")

        # A storm of 1,000 alerts over 40 signatures: one more message for the group,
        # after the group interval, holding them all; none in between.
        for index in range(40):
            signatures.labels(str(3_000_000 + index), f"storm {index}", "1").inc(25)
        exporter.body = generate_latest(registry)
        stormed = time.monotonic()
        time.sleep(GROUP_INTERVAL * 1.8 - (stormed - first_at))
        later = [payload for _, payload in hook.posts[1:]]
        print(f"storm of 1000 alerts: {len(later)} notification(s) in {GROUP_INTERVAL * 1.8:g} s")
        assert len(later) == 1
        sids = {alert["labels"]["sid"] for alert in later[0]["alerts"]}
        assert sids == {"2100498", *(str(3_000_000 + index) for index in range(40))}
        assert all(
            alert["labels"]["severity"] != "3"
            for _, payload in hook.posts
            for alert in payload["alerts"]
        )
    finally:
        hook.shutdown()
        exporter.shutdown()
        workflow.shutdown()


def _card(payload: Any) -> tuple[str, str]:
    """(title, text) of the Adaptive Card a Teams workflow receives, once its envelope is
    checked: the shape Power Automate's "When a Teams webhook request is received" takes."""
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.2")
    [title, text] = card["body"]
    assert title["type"] == text["type"] == "TextBlock"
    return title["text"], text["text"]


def _wait_for_post(hook: Recorder, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while not hook.posts:
        assert time.monotonic() < deadline, f"no notification within {seconds:g} s"
        time.sleep(0.2)
    return hook.posts[0][1]


def test_a_suricata_alert_reaches_the_webhook_through_the_metrics_controller(
    tmp_path: Path, alertmanager: Any, prometheus: Any
) -> None:
    """Real Suricata replays a corpus pcap into the RAM disk; the metrics controller (its
    own process, as its unit runs it) counts the alerts; Prometheus fires; the webhook hears."""
    from tests.integration.suricata.test_pcap_replay import (
        CORPUS,
        MANIFEST,
        rendered_config,
        replay,
    )

    hook = Recorder()
    work = tmp_path / "sensor"
    work.mkdir()
    suricata_yaml = rendered_config(work)
    config = _notify(
        {
            "receivers": {"hook": {"type": "webhook", "url": f"{hook.url}/hook"}},
            "detections": {"min_severity": 4},
        },
        tmp_path,
        free_port(),
    )
    exporter_port = free_port()
    config.values["metrics"]["port"] = exporter_port
    runtime = tmp_path / "run"
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump(
            {"metrics": {"port": exporter_port}, "ramdisk": {"mount_point": str(work / "ram")}}
        )
    )
    controller = subprocess.Popen(
        [sys.executable, "-m", "ids2", "run", "metrics", "--config", str(tmp_path / "config.yaml")],
        env=dict(os.environ, IDS2_RUNTIME_DIR=str(runtime)),
    )
    try:
        deadline = time.monotonic() + 15
        while not (runtime / "metrics.json").exists():
            assert time.monotonic() < deadline and controller.poll() is None, "no exporter"
            time.sleep(0.1)
        alertmanager(config)
        prometheus(config)
        case = next(case for case in MANIFEST if case["name"] == "alert-testmyids-midstream")
        directory = CORPUS / case["name"]
        events = replay(
            suricata_yaml,
            directory / case["pcap"],
            [directory / rule for rule in case["rules"]],
            [part for arg in case["args"] or [] for part in shlex.split(arg)],
            work / "log",
        )
        raised = {
            str(event["alert"]["signature_id"])
            for event in events
            if event["event_type"] == "alert"
        }
        assert raised, "the pcap raised no alert"
        replayed = time.monotonic()
        payload = _wait_for_post(hook, 40)
        print(f"\nSuricata alert -> webhook: {time.monotonic() - replayed:.1f} s")
        assert {alert["labels"]["sid"] for alert in payload["alerts"]} <= raised | {"other"}
        assert payload["groupLabels"] == {"alertname": "Ids2Detection", "sensor": "hq-01"}
        summary = payload["alerts"][0]["annotations"]["summary"]
        assert f"[{payload['alerts'][0]['labels']['sid']}]" in summary and "on hq-01" in summary
    finally:
        controller.send_signal(signal.SIGTERM)
        controller.wait(timeout=10)
        hook.shutdown()


def test_notify_test_reaches_an_smtp_sink_and_reports_a_dead_webhook(
    tmp_path: Path, alertmanager: Any
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Sink(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            received.append(message)

    smtp_port = free_port()
    sink = Controller(Sink(message_class=None), hostname="127.0.0.1", port=smtp_port)
    sink.start()
    try:
        mail = {
            "type": "email",
            "to": ["soc@example.org"],
            "from": "ids2@example.org",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "starttls": False,
        }
        dead = {"type": "webhook", "url": f"http://127.0.0.1:{free_port()}/nobody"}
        config = _notify({"receivers": {"mail": mail, "dead": dead}}, tmp_path, free_port())
        address = alertmanager(config)
        assert send_test(address, "hq-01", {"mail": "email"}, 20) == {"mail": "sent"}
        deadline = time.monotonic() + 10
        while not received:
            assert time.monotonic() < deadline, "the SMTP sink got nothing"
            time.sleep(0.2)
        message = message_from_bytes(received[0].as_bytes())
        assert message["To"] == "soc@example.org"
        assert message["Subject"].startswith("[ids2 hq-01] FIRING: Ids2NotifyTest")
        assert send_test(address, "hq-01", {"dead": "webhook"}, 20) == {"dead": "failed"}
    finally:
        sink.stop()


def test_notify_test_reaches_a_teams_workflow_as_an_adaptive_card(
    tmp_path: Path, alertmanager: Any
) -> None:
    """The Teams receiver, its URL from the secrets file: a loopback server plays the
    Power Automate workflow endpoint and records what Alertmanager 0.28.1 posts."""
    workflow = Recorder()
    try:
        config = _notify(
            {
                "receivers": {"team": {"type": "teams"}},
                "dashboards_url": "https://hq-01.example.org:5601/app/alerts",
            },
            tmp_path,
            free_port(),
            f"{workflow.url}/workflows/1/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t",
        )
        address = alertmanager(config)
        assert send_test(address, "hq-01", {"team": "teams"}, 20) == {"team": "sent"}
        title, text = _card(_wait_for_post(workflow, 10))
        assert title == "[ids2 hq-01] FIRING: Ids2NotifyTest (1)"
        assert text.startswith("Sensor **hq-01**:\n\n- Test notification from the ids2 sensor")
        assert "[OpenSearch Dashboards](https://hq-01.example.org:5601/app/alerts)" in text
        assert (
            workflow.paths[0]
            == "/workflows/1/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t"
        )
    finally:
        workflow.shutdown()
