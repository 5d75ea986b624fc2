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


TEAMS_URL = (
    "https://prod-01.westeurope.logic.azure.com:443/workflows/0a1b/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t"
)
"""The shape of a Power Automate workflow URL: its query holds the signature."""


def config_with(notify: dict[str, Any], tmp_path: Path, teams_url: str = TEAMS_URL) -> Config:
    """The config with `notify`; its secrets file holds the credentials of the receivers
    named mail, hook and team (the Teams workflow URL `teams_url`)."""
    secrets = tmp_path / "secrets.yaml"
    stored = {
        "mail": {"password": "pw-1"},
        "hook": {"bearer_token": "t-2"},
        "team": {"webhook_url": teams_url},
    }
    secrets.write_text(yaml.safe_dump({"notify_receivers": stored}))
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
    assert "[Grafana](https://sensor.example.org:3000/)" in text
    assert "OpenSearch Dashboards" not in text


def test_a_teams_receiver_posts_to_the_workflow_url_from_the_secrets_file(
    tmp_path: Path,
) -> None:
    config = config_with({"receivers": {"team": {"type": "teams"}}}, tmp_path)
    [file] = [file for file in render(config) if file.name == "alertmanager.yml"]
    [receiver] = [r for r in yaml.safe_load(file.content)["receivers"] if r["name"] == "team"]
    assert receiver["msteamsv2_configs"] == [
        {
            "webhook_url": TEAMS_URL,
            "send_resolved": True,
            "title": '{{ template "ids2.title" . }}',
            "text": '{{ template "ids2.markdown" . }}',
        }
    ]


def test_a_bad_teams_url_is_refused_with_its_key_path_and_never_shown(tmp_path: Path) -> None:
    config = config_with(
        {"receivers": {"team": {"type": "teams"}}}, tmp_path, "ftp://x.example.org/?sig=s3cr3t"
    )
    with pytest.raises(ConfigError) as raised:
        render(config)
    message = str(raised.value)
    assert f"{tmp_path / 'secrets.yaml'}: at 'notify_receivers.team.webhook_url': " in message
    assert "expected an http(s) URL" in message
    assert "s3cr3t" not in message


def test_a_teams_receiver_without_its_url_is_refused_with_the_key_path(tmp_path: Path) -> None:
    config = config_with({"receivers": {"crew": {"type": "teams"}}}, tmp_path)
    with pytest.raises(ConfigError) as raised:
        render(config)
    assert str(raised.value) == (
        f"{tmp_path / 'secrets.yaml'}: at 'notify_receivers.crew.webhook_url': expected the "
        "workflow URL of the teams receiver notify.receivers.crew, got nothing"
    )


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
            {"receivers": {"x": {"type": "teams", "url": TEAMS_URL}}},
            "at 'notify.receivers.x.url': unknown key",
        ),
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
