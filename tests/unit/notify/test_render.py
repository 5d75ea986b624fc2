"""alertmanager.yml and ids2.tmpl from notify.*: routes, receivers, credentials, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.notify.render import alertmanager_config, render, template

MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))
MAIL = {"type": "email", "to": ["soc@example.org"], "from": "ids2@example.org", "smtp_host": "mx"}


def config_with(notify: dict[str, Any], tmp_path: Path) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        yaml.safe_dump(
            {"notify_receivers": {"mail": {"password": "pw-1"}, "hook": {"bearer_token": "t-2"}}}
        )
    )
    document = {"notify": notify, "shipping": {"secrets_file": str(secrets)}}
    return validate_document(document, "/etc/ids2/config.yaml", MACHINE)


def test_detections_below_the_severity_and_not_listed_are_dropped_first(tmp_path: Path) -> None:
    config = config_with(
        {
            "receivers": {"hook": {"type": "webhook", "url": "http://127.0.0.1:1/x"}},
            "detections": {"min_severity": 2, "sids": [2100498]},
        },
        tmp_path,
    )
    routes = alertmanager_config(config, {"notify_receivers": {}})["route"]["routes"]
    dropped = next(
        route
        for route in routes
        if route["receiver"] == "discard"
        and route.get("matchers", [""])[0] == 'alertname="Ids2Detection"'
    )
    assert dropped["matchers"][1:] == ['severity!~"1|2"', 'sid!~"2100498"']
    assert routes[-1] == {"receiver": "hook", "continue": True}


def test_routes_match_names_and_severities_and_credentials_come_from_secrets(
    tmp_path: Path,
) -> None:
    config = config_with(
        {
            "receivers": {
                "mail": {**MAIL, "username": "ids2"},
                "hook": {"type": "webhook", "url": "https://hooks.example.org/a"},
            },
            "routes": [{"receiver": "mail", "alerts": ["Ids2Detection"], "severities": ["1"]}],
        },
        tmp_path,
    )
    rendered = {file.name: file for file in render(config)}
    document = yaml.safe_load(rendered["alertmanager.yml"].content)
    assert rendered["alertmanager.yml"].mode == 0o600
    assert document["route"]["routes"][-1] == {
        "receiver": "mail",
        "continue": True,
        "matchers": ['alertname=~"Ids2Detection"', 'severity=~"1"'],
    }
    receivers = {receiver["name"]: receiver for receiver in document["receivers"]}
    email = receivers["mail"]["email_configs"][0]
    assert (email["smarthost"], email["auth_password"], email["require_tls"]) == (
        "mx:587",
        "pw-1",
        True,
    )
    webhook = receivers["hook"]["webhook_configs"][0]
    assert webhook["http_config"]["authorization"]["credentials"] == "t-2"


def test_the_template_links_what_is_configured(tmp_path: Path) -> None:
    config = config_with({"grafana_url": "https://sensor.example.org:3000/"}, tmp_path)
    text = template(config)
    assert "Grafana: https://sensor.example.org:3000/" in text
    assert "OpenSearch Dashboards" not in text


@pytest.mark.parametrize(
    ("notify", "expected"),
    [
        ({"receivers": {"x": {"type": "pager"}}}, "at 'notify.receivers.x.type': expected one of"),
        (
            {"receivers": {"x": {**MAIL, "to": ["not an address"]}}},
            "at 'notify.receivers.x.to[0]': expected an e-mail address",
        ),
        (
            {"receivers": {"x": {**MAIL, "from": "@example.org"}}},
            "at 'notify.receivers.x.from': expected an e-mail address",
        ),
        ({"receivers": {"x": {"type": "slack"}}}, "at 'notify.receivers.x.url': required"),
        (
            {"receivers": {"x": {"type": "webhook", "url": "ftp://h/"}}},
            "at 'notify.receivers.x.url': expected an http(s) URL",
        ),
        ({"routes": [{"receiver": "nobody"}]}, "at 'notify.routes[0].receiver': expected one of"),
        ({"receivers": {"a b": MAIL}}, "at 'notify.receivers': expected names"),
    ],
)
def test_bad_values_are_refused_with_the_key_path(
    notify: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as raised:
        config_with(notify, tmp_path)
    assert expected in str(raised.value)
    assert "/etc/ids2/config.yaml" in str(raised.value)
