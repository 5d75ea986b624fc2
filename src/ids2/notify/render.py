"""alertmanager.yml and ids2.tmpl: where the stack's Alertmanager sends Prometheus' alerts.

Detections reach Alertmanager for every signature Suricata raised (the rule in
stack/prometheus/rules/ids2-detections.yml has no threshold of its own); the first route
here drops those below `notify.detections.min_severity` and not in `notify.detections.sids`,
so the choice is the config's and the rule file stays static. Alerts are grouped by alert
name and sensor: a storm is one message per group interval, however many signatures.
alertmanager.yml carries the receivers' credentials from the secrets file, so it is
rendered readable by root only (and left out of the config history).
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ids2.common.apply import as_applied
from ids2.common.image_check import ImageCheck, check_on_host_or_in_image
from ids2.common.rendered import RenderedFile, ValidationError, check_with_tool
from ids2.config.load import Config, load_secrets
from ids2.errors import ConfigError

CONFIG_FILE = "alertmanager.yml"
TEMPLATE_FILE = "ids2.tmpl"
DISCARD = "discard"
"""The receiver without integrations: what no route sends anywhere ends there."""
DETECTION_ALERT = "Ids2Detection"
TEST_ALERT = "Ids2NotifyTest"
TEST_RECEIVER_LABEL = "ids2_receiver"
"""`ids2 notify test RECEIVER` labels its alert with the receiver it is for; without one,
the label is absent and every receiver gets it."""
TEST_GROUP_WAIT = "1s"
GROUP_BY = ["alertname", "sensor"]
HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"


def _quote(values: list[str]) -> str:
    return "|".join(values)


def _dropped_detections(detections: dict[str, Any]) -> dict[str, Any] | None:
    """The route that drops the detections the config does not notify, or None (keep all)."""
    notified = [str(level) for level in range(1, detections["min_severity"] + 1)]
    if len(notified) == 4:
        return None
    matchers = [f'alertname="{DETECTION_ALERT}"']
    matchers.append(f'severity!~"{_quote(notified)}"' if notified else 'severity=~".*"')
    if detections["sids"]:
        matchers.append(f'sid!~"{_quote([str(sid) for sid in detections["sids"]])}"')
    return {"receiver": DISCARD, "matchers": matchers, "continue": False}


def _route(route: dict[str, Any]) -> dict[str, Any]:
    matchers = []
    if route["alerts"]:
        matchers.append(f'alertname=~"{_quote(route["alerts"])}"')
    if route["severities"]:
        matchers.append(f'severity=~"{_quote(route["severities"])}"')
    rendered: dict[str, Any] = {"receiver": route["receiver"], "continue": route["continue"]}
    if matchers:
        rendered["matchers"] = matchers
    return rendered


def _test_routes(notify: dict[str, Any]) -> list[dict[str, Any]]:
    """Test alerts go straight to their receiver (every receiver when none is named),
    whatever the routes say, and wait only a second."""
    return [
        {
            "receiver": name,
            "matchers": [f'alertname="{TEST_ALERT}"', f'{TEST_RECEIVER_LABEL}=~"{name}|"'],
            "group_wait": TEST_GROUP_WAIT,
            "continue": True,
        }
        for name in notify["receivers"]
    ] + [{"receiver": DISCARD, "matchers": [f'alertname="{TEST_ALERT}"'], "continue": False}]


def _routes(notify: dict[str, Any]) -> list[dict[str, Any]]:
    dropped = _dropped_detections(notify["detections"])
    routes = _test_routes(notify) + ([dropped] if dropped else [])
    if notify["routes"]:
        return routes + [_route(route) for route in notify["routes"]]
    return routes + [{"receiver": name, "continue": True} for name in notify["receivers"]]


TITLE = '{{ template "ids2.title" . }}'
TEXT = '{{ template "ids2.text" . }}'
CHATS = {
    "slack": ("slack_configs", "api_url", "text", TEXT),
    "discord": ("discord_configs", "webhook_url", "message", TEXT),
    # Teams' workflow webhook: its URL carries a signature, so it is in the secrets file.
    "teams": ("msteamsv2_configs", "webhook_url", "text", '{{ template "ids2.markdown" . }}'),
}
"""Per chat receiver type: Alertmanager's key, then its keys of the URL and the text, and
the text's template."""


def _integration(receiver: dict[str, Any], credentials: dict[str, str]) -> tuple[str, Any]:
    """(Alertmanager's key for the receiver type, its configuration)."""
    kind, resolved = receiver["type"], receiver["send_resolved"]
    if kind == "email":
        email: dict[str, Any] = {
            "to": ", ".join(receiver["to"]),
            "from": receiver["from"],
            "smarthost": f"{receiver['smtp_host']}:{receiver['smtp_port']}",
            "require_tls": receiver["starttls"],
            "send_resolved": resolved,
            "headers": {"Subject": TITLE},
            "html": '{{ template "ids2.html" . }}',
            "text": TEXT,
        }
        if receiver["username"]:
            email["auth_username"] = receiver["username"]
            email["auth_password"] = credentials.get("password", "")
        return "email_configs", email
    if kind == "webhook":
        webhook: dict[str, Any] = {"url": receiver["url"], "send_resolved": resolved}
        if credentials.get("bearer_token"):
            webhook["http_config"] = {
                "authorization": {"type": "Bearer", "credentials": credentials["bearer_token"]}
            }
        return "webhook_configs", webhook
    key, url_key, text_key, text = CHATS[kind]
    url = credentials["webhook_url"] if kind == "teams" else receiver["url"]
    return key, {url_key: url, "send_resolved": resolved, "title": TITLE, text_key: text}


def _missing_urls(config: Config, stored: dict[str, Any]) -> list[str]:
    """The problems of Teams receivers whose workflow URL is not in the secrets file."""
    return [
        f"at 'notify_receivers.{name}.webhook_url': expected the workflow URL of the teams "
        f"receiver notify.receivers.{name}, got nothing"
        for name, receiver in config["notify"]["receivers"].items()
        if receiver["type"] == "teams" and not stored.get(name, {}).get("webhook_url")
    ]


def alertmanager_config(config: Config, secrets: dict[str, Any]) -> dict[str, Any]:
    """The configuration as data: the routing tree and one receiver per configured one."""
    notify = config["notify"]
    stored = secrets["notify_receivers"]
    if missing := _missing_urls(config, stored):
        raise ConfigError(config["shipping"]["secrets_file"], missing)
    receivers: list[dict[str, Any]] = [{"name": DISCARD}]
    for name, receiver in notify["receivers"].items():
        key, integration = _integration(receiver, stored.get(name, {}))
        receivers.append({"name": name, key: [integration]})
    return {
        "global": {"resolve_timeout": "5m"},
        "templates": [TEMPLATE_FILE],  # beside alertmanager.yml, wherever that is
        "route": {
            "receiver": DISCARD,
            "group_by": GROUP_BY,
            "group_wait": f"{notify['group_wait_seconds']}s",
            "group_interval": f"{notify['group_interval_seconds']}s",
            "repeat_interval": f"{notify['repeat_interval_minutes']}m",
            "routes": _routes(notify),
        },
        "receivers": receivers,
    }


def links(config: Config) -> list[tuple[str, str]]:
    """(label, URL) of each view a notification links to, as configured."""
    notify = config["notify"]
    named = [
        ("Grafana", notify["grafana_url"]),
        ("OpenSearch Dashboards", notify["dashboards_url"]),
    ]
    return [(label, url) for label, url in named if url]


def template(config: Config) -> str:
    """ids2.tmpl: the title, text, HTML and Markdown (Teams) of every notification, with the
    configured links."""
    text = resources.files("ids2.notify").joinpath("templates/ids2.tmpl").read_text("utf-8")
    lines = "".join(f"{label}: {url}\n" for label, url in links(config))
    html = "".join(f'<p><a href="{url}">{label}</a></p>\n' for label, url in links(config))
    markdown = "".join(f"\n[{label}]({url})\n" for label, url in links(config))
    return (
        text.replace("{{/* links */}}", lines)
        .replace("{{/* html links */}}", html)
        .replace("{{/* markdown links */}}", markdown)
    )


def _amtool(config_file: Path, template_file: Path) -> str:
    """`amtool check-config` on a config with the template beside it, as Alertmanager
    loads them at start (it reads and parses the template too): the host's amtool, else
    the one in the stack's Alertmanager image, with both where the service mounts them."""
    files = {CONFIG_FILE: config_file}
    if template_file.exists():
        files[TEMPLATE_FILE] = template_file
    check = ImageCheck(
        "alertmanager", "amtool", ("check-config", CONFIG_FILE), files, "amtool check-config"
    )
    return check_on_host_or_in_image(check, lambda: _amtool_on_host(check))


def _amtool_on_host(check: ImageCheck) -> str:
    """The host's amtool on copies of the files side by side under their own names."""
    with tempfile.TemporaryDirectory(prefix="ids2-alertmanager-") as scratch:
        for name, path in check.files.items():
            shutil.copyfile(path, Path(scratch) / name)
        return check_with_tool(
            ["amtool", "check-config", str(Path(scratch) / CONFIG_FILE)], check.label
        )


def check_config(path: Path) -> str:
    """The candidate alertmanager.yml with the template it will run with."""
    return _amtool(path, as_applied(path, TEMPLATE_FILE))


def check_template(path: Path) -> str:
    """The candidate ids2.tmpl with the alertmanager.yml it will run with."""
    config_file = as_applied(path, CONFIG_FILE)
    if not config_file.exists():
        raise ValidationError("no alertmanager.yml to check it with, rendered or installed")
    return _amtool(config_file, path)


VALIDATORS = {CONFIG_FILE: check_config, TEMPLATE_FILE: check_template}


def render(config: Config) -> list[RenderedFile]:
    """alertmanager.yml (0600: it holds credentials), checked by amtool, and ids2.tmpl."""
    secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
    text = HEADER + yaml.safe_dump(alertmanager_config(config, secrets), sort_keys=False)
    return [
        RenderedFile(CONFIG_FILE, text, VALIDATORS[CONFIG_FILE], mode=0o600),
        RenderedFile(TEMPLATE_FILE, template(config), VALIDATORS[TEMPLATE_FILE]),
    ]
