"""prometheus.yml for the stack's Prometheus, which scrapes everything that exports metrics.

Prometheus runs in the host's network namespace, listening on 127.0.0.1:9090 only, so that
it reaches the ids2 exporter on loopback and the containers' ports published on loopback.
"""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

from ids2.common.image_check import ImageCheck, check_on_host_or_in_image
from ids2.common.rendered import RenderedFile
from ids2.config.load import Config

CONFIG_FILE = "prometheus.yml"
PROMETHEUS_ADDRESS = "127.0.0.1:9090"
VECTOR_METRICS_ADDRESS = "127.0.0.1:9598"
REDIS_EXPORTER_ADDRESS = "127.0.0.1:9121"
RULES_GLOB = "/etc/prometheus/rules/*.yml"


def _job(name: str, target: str, interval: str | None = None) -> dict[str, object]:
    job: dict[str, object] = {"job_name": name, "static_configs": [{"targets": [target]}]}
    if interval is not None:
        job["scrape_interval"] = interval
    return job


def external_labels(config: Config) -> dict[str, str]:
    """The labels every alert carries: the sensor's name, and the view notifications link to
    (Grafana, else OpenSearch Dashboards) when one is configured."""
    labels = {"sensor": config["sensor"]["name"] or socket.gethostname()}
    notify = config["notify"]
    dashboard = notify["grafana_url"] or notify["dashboards_url"]
    if dashboard:
        labels["dashboard"] = dashboard
    return labels


def alertmanager_address(config: Config) -> str:
    """Where the stack's Alertmanager listens (on loopback, in the host's network)."""
    return f"127.0.0.1:{config['stack']['alertmanager']['port']}"


def prometheus_config(config: Config) -> dict[str, object]:
    """The configuration as data: scrape jobs for ids2, Vector, Redis and Prometheus, and
    the stack's Alertmanager as where alerts go when it runs."""
    metrics = config["metrics"]
    exporter = f"{metrics['listen_address']}:{metrics['port']}"
    document: dict[str, object] = {
        "global": {
            "scrape_interval": "15s",
            "evaluation_interval": "15s",
            "external_labels": external_labels(config),
        },
        "rule_files": [RULES_GLOB],
        "scrape_configs": [
            _job("ids2", exporter, "10s"),
            _job("vector", VECTOR_METRICS_ADDRESS),
            _job("redis", REDIS_EXPORTER_ADDRESS),
            _job("prometheus", PROMETHEUS_ADDRESS),
        ],
    }
    if config["stack"]["alertmanager"]["enabled"]:
        targets = [{"targets": [alertmanager_address(config)]}]
        document["alerting"] = {"alertmanagers": [{"static_configs": targets}]}
    return document


def check_with_promtool(path: Path) -> str:
    """`promtool check config`, the check Prometheus itself applies at start: the host's
    promtool, else the one in the stack's Prometheus image."""
    arguments = ("check", "config", "--syntax-only", CONFIG_FILE)
    check = ImageCheck(
        "prometheus", "promtool", arguments, {CONFIG_FILE: path}, "promtool check config"
    )
    return check_on_host_or_in_image(check)


VALIDATORS = {CONFIG_FILE: check_with_promtool}


def render(config: Config) -> list[RenderedFile]:
    """prometheus.yml, checked by promtool."""
    text = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"
    text += yaml.safe_dump(prometheus_config(config), sort_keys=False)
    return [RenderedFile(CONFIG_FILE, text, VALIDATORS[CONFIG_FILE])]
