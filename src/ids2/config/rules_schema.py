"""The `sensor.rules` section: where rules come from, and how they are tuned.

Kept apart from schema.py like the notify section: suppressions and thresholds are lists of
items checked key by key, so an error points into the item (`sensor.rules.suppress[0].ip`).
"""

from __future__ import annotations

from ids2.config import checks
from ids2.config.spec import Option, Records, Section, choice, integer, string, string_list

SID_MAXIMUM = 4294967295
SUPPRESS_TRACKS = ("by_src", "by_dst", "by_either")
THRESHOLD_TYPES = ("limit", "threshold", "both")
THRESHOLD_TRACKS = ("by_src", "by_dst", "by_rule", "by_both")


def _sid(what: str) -> Option:
    return integer(f"The signature id (sid) of the rule {what}.", 0, 1, SID_MAXIMUM, required=True)


def _matchers(description: str) -> Option:
    return Option(description, [], "scalar", is_list=True, check=checks.rule_matcher)


SUPPRESS = Section(
    "One suppression: the rule's alerts are not logged for the address, or anywhere.",
    {
        "sid": _sid("to suppress"),
        "track": choice(
            "Which side of the alert ip is compared with: its source, its destination, or "
            "either; ignored when ip is ''.",
            "by_src",
            SUPPRESS_TRACKS,
        ),
        "ip": string(
            "The address or CIDR network whose alerts are suppressed; '' suppresses the rule's "
            "alerts for every address.",
            "",
            check=checks.address_or_network_or_empty,
        ),
        "reason": string(
            "Why: shown by `ids2 rules list-tuning` and kept in the config history.",
            "",
            check=checks.not_empty,
            required=True,
        ),
    },
)

THRESHOLD = Section(
    "One threshold: how many of the rule's alerts are logged per time window.",
    {
        "sid": _sid("to threshold"),
        "type": choice(
            "limit: at most count alerts per window; threshold: one alert every count "
            "matches; both: one alert per window once count matches happened in it.",
            "limit",
            THRESHOLD_TYPES,
        ),
        "track": choice(
            "What is counted apart: each source, each destination, the rule as a whole, or "
            "each source-destination pair.",
            "by_src",
            THRESHOLD_TRACKS,
        ),
        "count": integer("The count of the type.", 1, 1, 1000000),
        "seconds": integer("The length of the time window, in seconds.", 60, 1, 31536000),
        "reason": string("Why, for `ids2 rules list-tuning`; ''.", ""),
    },
)

RULES = Section(
    "Rule management through suricata-update, and tuning: suppressions and thresholds "
    "(Suricata's threshold.config), rules disabled and enabled (suricata-update's "
    "disable.conf and enable.conf). `ids2 rules suppress|threshold|disable|enable` edit these "
    "keys and apply them live.",
    {
        "sources": string_list(
            "Rule sources: suricata-update source names, or https:// / file:/// URLs.",
            ["et/open"],
            check=checks.suricata_rule_source,
        ),
        "local_files": string_list(
            "Extra local rule files added to the ruleset.",
            [],
            check=checks.absolute_path,
        ),
        "enable": _matchers(
            "Rules to enable (those a source ships disabled): SIDs, GID:SID, or "
            "suricata-update matchers such as re:REGEX and group:FILE."
        ),
        "disable": _matchers(
            "Rules to disable, left out of the ruleset: SIDs, GID:SID, or suricata-update "
            "matchers such as re:REGEX and group:FILE. A rule both match is enabled, as "
            "suricata-update applies enable.conf last."
        ),
        "modify": string_list(
            'suricata-update modify.conf lines: \'SID "from" "to"\' or a regex.',
            [],
        ),
        "suppress": Records(
            "Suppressions, written to Suricata's threshold.config.",
            {"suppress": SUPPRESS},
            named=False,
            example=[
                {"sid": 2013028, "track": "by_src", "ip": "10.0.0.5", "reason": "the backup host"}
            ],
        ),
        "threshold": Records(
            "Thresholds, written to Suricata's threshold.config; one per SID.",
            {"threshold": THRESHOLD},
            named=False,
            example=[
                {"sid": 2210045, "type": "limit", "track": "by_src", "count": 1, "seconds": 3600}
            ],
        ),
        "update_calendar": string(
            "When the rule-update timer runs (systemd OnCalendar= syntax).",
            "daily",
            check=checks.systemd_calendar,
        ),
    },
)
