"""Value checks used by the schema: each returns None or what was expected, in words."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or white space.
_INTERFACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
# OpenSearch index names: lowercase, no \ / * ? " < > | , # : or space, not starting with - _ +
_INDEX_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._-]{0,200}$")
_REDIS_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,200}$")
_SYSTEMD_CALENDAR = re.compile(r"^[A-Za-z0-9 ,:*./~-]{1,100}$")


def interface_name(value: Any) -> str | None:
    """Accept a Linux network interface name such as eth0 or enp1s0."""
    if value == "." or value == ".." or not _INTERFACE.match(value):
        return "a network interface name (1-15 of A-Z a-z 0-9 _ . -, such as eth0)"
    return None


def network(value: Any) -> str | None:
    """Accept an IPv4 or IPv6 network in CIDR notation, host bits clear or not."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "a network in CIDR notation such as 192.168.0.0/16"
    return None


def ip_address(value: Any) -> str | None:
    """Accept a literal IPv4 or IPv6 address (the exporter's listen address)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "an IP address such as 127.0.0.1"
    return None


def http_url_or_empty(value: Any) -> str | None:
    """Accept '' (not configured) or an http(s) URL with a host name and no query."""
    if value == "":
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
        or (port is not None and not 0 < port < 65536)
    ):
        return "an http(s) URL such as https://search-x.eu-west-1.es.amazonaws.com, or ''"
    return None


def ssh_url_or_empty(value: Any) -> str | None:
    """Accept '' or a git remote reachable over SSH (ssh://host/path or user@host:path)."""
    if value == "" or value.startswith("ssh://") or re.match(r"^[\w.-]+@[\w.-]+:\S+$", value):
        return None
    return "a git remote over SSH such as git@example.org:sensors/ids2.git, or ''"


def aws_region_or_empty(value: Any) -> str | None:
    """Accept '' (take the region from the AWS profile) or a region name like eu-west-1."""
    if value == "" or _AWS_REGION.match(value):
        return None
    return "an AWS region such as eu-west-1, or ''"


def index_prefix(value: Any) -> str | None:
    """Accept a prefix that makes valid OpenSearch index names."""
    if _INDEX_PREFIX.match(value):
        return None
    return "a lowercase index prefix of a-z 0-9 . _ - (such as ids2-logs)"


def redis_key(value: Any) -> str | None:
    """Accept a Redis key that redis_exporter's key list can name (no comma, no space)."""
    if _REDIS_KEY.match(value):
        return None
    return "a Redis key of letters, digits and : . _ - (such as ids2:spill)"


def absolute_path(value: Any) -> str | None:
    """Accept an absolute file system path."""
    if value.startswith("/") and "\0" not in value:
        return None
    return "an absolute path"


def absolute_path_or_empty(value: Any) -> str | None:
    """Accept '' (not used) or an absolute path."""
    return None if value == "" else absolute_path(value)


def systemd_calendar(value: Any) -> str | None:
    """Accept a systemd OnCalendar= expression (checked loosely; systemd checks it fully)."""
    if _SYSTEMD_CALENDAR.match(value):
        return None
    return "a systemd calendar expression such as daily or *-*-* 03:00"


def suricata_rule_source(value: Any) -> str | None:
    """Accept a suricata-update source name (et/open) or a rules URL / local file."""
    if re.match(r"^[a-z0-9_-]+/[a-z0-9_.-]+$", value) or value.startswith(
        ("https://", "http://", "file:///")
    ):
        return None
    return "a suricata-update source name such as et/open, or an https:// or file:/// URL"


_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9][A-Za-z0-9_-]{0,62})*$"
)


def host_name_or_empty(value: Any) -> str | None:
    """Accept '' (the machine's hostname) or a host name: letters, digits, '-', '_', dots."""
    if value == "" or _HOST_NAME.match(value):
        return None
    return "a host name such as sensor-hq-01 (letters, digits, '-', '_' and dots), or ''"


# A mailbox as SMTP takes it: local@domain, no display name, no white space or brackets.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_MAILBOX = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def mail_address(value: Any) -> str | None:
    """Accept a plain e-mail address such as soc@example.org."""
    if len(value) <= 254 and _MAILBOX.match(value):
        return None
    return "an e-mail address such as soc@example.org"


def host_name(value: Any) -> str | None:
    """Accept a host name or an IP address (an SMTP server)."""
    if value != "" and (_HOST_NAME.match(value) or ip_address(value) is None):
        return None
    return "a host name such as mail.example.org, or an IP address"


def http_url(value: Any) -> str | None:
    """Accept an http(s) URL (a webhook); a query string is allowed, as some services use it."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "an http(s) URL such as https://hooks.example.org/ids2"
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or (port is not None and not 0 < port < 65536)
    ):
        return "an http(s) URL such as https://hooks.example.org/ids2"
    return None


_ALERT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def alert_name(value: Any) -> str | None:
    """Accept a Prometheus alert name such as Ids2Detection."""
    return None if _ALERT_NAME.match(value) else "an alert name such as Ids2Detection"


def address_or_network_or_empty(value: Any) -> str | None:
    """Accept '' (everywhere), an IPv4 or IPv6 address, or a network in CIDR notation."""
    if value == "" or network(value) is None:
        return None
    return "an IP address or CIDR network such as 10.0.0.5 or 10.0.0.0/24, or ''"


def not_empty(value: Any) -> str | None:
    """Accept any text but an empty or blank one."""
    return None if value.strip() else "some text, not ''"


_SID = r"(?:\d+:)?\d+"
_SID_LIST = re.compile(rf"^{_SID}(?:\s*,\s*{_SID})*$")


def _regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    return None


def rule_matcher(value: Any) -> str | None:
    """Accept what suricata-update's enable.conf and disable.conf take on one line: a SID,
    GID:SID or a comma list of them, re:REGEX, group:FILE, filename:FILE, metadata:KEY VALUE.

    suricata-update only warns about a line it cannot parse and goes on without it, so a
    mistake here would silently leave a rule on; it is refused instead.
    """
    expected = (
        "a SID such as 2019401 (or GID:SID), or a suricata-update matcher: re:REGEX, "
        "group:FILE, filename:FILE or metadata:KEY VALUE"
    )
    if isinstance(value, int):
        return None if 1 <= value <= 4294967295 else expected
    text = value.strip()
    if "\n" in text or " #" in text or not text:
        return expected
    if _SID_LIST.match(text):
        sids = (int(part.split(":")[-1]) for part in text.split(","))
        return None if all(1 <= sid <= 4294967295 for sid in sids) else expected
    kind, _, rest = text.partition(":")
    if kind == "re" and rest.strip():
        error = _regex_error(rest.strip())
        return None if error is None else f"a regular expression after re: ({error})"
    if kind in ("group", "filename") and rest.strip():
        return None
    if kind == "metadata" and len(rest.split()) == 2:
        return None
    return expected
