"""The `notify` section: Alertmanager's receivers and routes, and which detections fire.

Kept apart from schema.py, which holds the pipeline's sections; every receiver type is a
variant whose keys are checked on their own, so a key of another type is an unknown key.
"""

from __future__ import annotations

from ids2.config import checks
from ids2.config.spec import (
    Records,
    Section,
    boolean,
    choice,
    integer,
    integer_list,
    string,
    string_list,
)

SEVERITIES = ("critical", "warning", "1", "2", "3", "4")
"""Health alerts are critical or warning; detections carry Suricata's severity, 1 the worst."""


def _url_receiver(kind: str, what: str) -> Section:
    return Section(
        f"A {what} receiver: Alertmanager posts to its incoming-webhook URL.",
        {
            "type": choice("The receiver type.", kind, (kind,)),
            "url": string(
                f"The {what} incoming-webhook URL.", "", check=checks.http_url, required=True
            ),
            "send_resolved": boolean("Also say when an alert has stopped.", True),
        },
    )


EMAIL = Section(
    "An e-mail receiver; its password, when the server wants one, is the secrets file's "
    "notify_receivers.NAME.password.",
    {
        "type": choice("The receiver type.", "email", ("email",)),
        "to": string_list(
            "Addresses the notification goes to.", [], check=checks.mail_address, required=True
        ),
        "from": string("The sender address.", "", check=checks.mail_address, required=True),
        "smtp_host": string("The SMTP server.", "", check=checks.host_name, required=True),
        "smtp_port": integer("The SMTP server's port.", 587, 1, 65535),
        "starttls": boolean("Require STARTTLS before sending (and before any password).", True),
        "username": string("The SMTP login; '' sends without logging in.", ""),
        "send_resolved": boolean("Also say when an alert has stopped.", True),
    },
)

WEBHOOK = Section(
    "A webhook receiver: Alertmanager's JSON payload is POSTed to the URL, with the secrets "
    "file's notify_receivers.NAME.bearer_token as a bearer token when set (ntfy and Gotify "
    "take it this way too).",
    {
        "type": choice("The receiver type.", "webhook", ("webhook",)),
        "url": string("Where the payload is POSTed.", "", check=checks.http_url, required=True),
        "send_resolved": boolean("Also say when an alert has stopped.", True),
    },
)

TEAMS = Section(
    "A Microsoft Teams receiver: Alertmanager posts an Adaptive Card to a Power Automate "
    "workflow's webhook URL, which is the secrets file's notify_receivers.NAME.webhook_url "
    "(the URL carries its own signature, so it is a credential).",
    {
        "type": choice("The receiver type.", "teams", ("teams",)),
        "send_resolved": boolean("Also say when an alert has stopped.", True),
    },
)

ROUTE = Section(
    "One route: alerts matching every given condition go to the receiver.",
    {
        "receiver": string("A name under notify.receivers.", "", required=True),
        "alerts": string_list(
            "Alert names (Ids2Detection, Ids2CaptureLoss, ...); [] matches every alert.",
            [],
            check=checks.alert_name,
        ),
        "severities": string_list(
            "Severities (critical, warning, or Suricata's 1-4 for detections); [] matches all.",
            [],
            check=lambda value: None if value in SEVERITIES else "one of " + ", ".join(SEVERITIES),
        ),
        "continue": boolean(
            "Keep matching the routes after this one, so several receivers get the alert.", True
        ),
    },
)

NOTIFY = Section(
    "Notifications: Prometheus' alerts (sensor health and detections) sent by Alertmanager.",
    {
        "receivers": Records(
            "Where notifications go, by a name the routes use.",
            {"email": EMAIL, "webhook": WEBHOOK}
            | {
                kind: _url_receiver(kind, what)
                for kind, what in (("slack", "Slack"), ("discord", "Discord"))
            }
            | {"teams": TEAMS},
            named=True,
            example={
                "soc-mail": {
                    "type": "email",
                    "to": ["soc@example.org"],
                    "from": "ids2@example.org",
                    "smtp_host": "mail.example.org",
                },
                "ntfy": {"type": "webhook", "url": "https://ntfy.example.org/ids2"},
            },
        ),
        "routes": Records(
            "Which alerts go where, first match first; with none, every receiver gets every alert.",
            {"route": ROUTE},
            named=False,
            example=[{"receiver": "soc-mail", "alerts": ["Ids2Detection"], "severities": ["1"]}],
        ),
        "detections": Section(
            "Which Suricata alerts are notified (the Ids2Detection alert).",
            {
                "min_severity": integer(
                    "Notify alerts of this Suricata severity or a more severe one (1 is the "
                    "most severe); 0 notifies none by severity.",
                    1,
                    0,
                    4,
                ),
                "sids": integer_list(
                    "Signatures notified whatever their severity.", [], 1, 4294967295
                ),
            },
        ),
        "group_wait_seconds": integer(
            "How long the first alert of a group waits for others before it is sent.", 30, 1, 3600
        ),
        "group_interval_seconds": integer(
            "At most one message per group this often: a storm of alerts is one message.",
            300,
            10,
            86400,
        ),
        "repeat_interval_minutes": integer(
            "A still-firing alert is sent again after this long.", 240, 1, 10080
        ),
        "grafana_url": string(
            "The sensor's Grafana as its users reach it, linked from each notification; ''.",
            "",
            check=checks.http_url_or_empty,
        ),
        "dashboards_url": string(
            "OpenSearch Dashboards' alerts view, linked from each notification; ''.",
            "",
            check=checks.http_url_or_empty,
        ),
    },
)

NOTIFY_SECRETS = Records(
    "Credentials of notify.receivers, by receiver name.",
    {
        "credentials": Section(
            "The credentials of one receiver.",
            {
                "password": string("The SMTP password of an email receiver.", "", secret=True),
                "bearer_token": string("The bearer token of a webhook receiver.", "", secret=True),
                "webhook_url": string(
                    "The Power Automate workflow URL of a teams receiver (Teams' \"Post to a "
                    'channel when a webhook request is received" workflow).',
                    "",
                    secret=True,
                    check=lambda value: None if value == "" else checks.http_url(value),
                ),
            },
        )
    },
    named=True,
)
