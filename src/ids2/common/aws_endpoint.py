"""The AWS region an OpenSearch Service endpoint names in its host.

Shared by what signs or checks requests for that domain in different stages: the AWS checks
and Vector's sink (shipping), Grafana's datasource (stack).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_ENDPOINT_REGION = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:es|aoss)\.amazonaws\.com$")


def endpoint_region(endpoint: str) -> str | None:
    """The AWS region named in an OpenSearch Service endpoint's host, if it names one."""
    match = _ENDPOINT_REGION.search(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None
