"""Shipping figures `ids2 status` asks the sensor's Prometheus for: EPS shipped, buffer fill.

Both come from Vector's internal metrics, which only Prometheus keeps over time (a rate
needs two samples), so status asks the one place that already has them rather than
keeping history of its own. The same expressions drive the dashboard's panels.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from ids2.errors import Ids2Error
from ids2.stack.prometheus import PROMETHEUS_ADDRESS

PIPELINE_QUERIES = {
    "events_shipped_per_second": (
        'sum(rate(vector_component_sent_events_total{component_id="events"}[5m]))'
    ),
    "buffer_fill_ratio": (
        'sum(vector_buffer_byte_size{component_id="events"})'
        " / scalar(ids2_shipping_disk_buffer_capacity_bytes)"
    ),
}


def query_value(expression: str, base_url: str, timeout: float = 1.0) -> float | None:
    """The instant value of a one-sample expression; None when it has no sample.

    Raises Ids2Error when Prometheus does not answer or refuses the expression.
    """
    url = f"{base_url}/api/v1/query?query={urllib.parse.quote(expression)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            answer = json.load(response)
    except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
        raise Ids2Error(f"Prometheus at {base_url} does not answer: {error}") from None
    result = answer.get("data", {}).get("result") or []
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value  # NaN: nothing to divide yet


def pipeline_figures(base_url: str = f"http://{PROMETHEUS_ADDRESS}") -> dict[str, object]:
    """Each PIPELINE_QUERIES figure (None without data), or {'error': why}."""
    try:
        return {name: query_value(query, base_url) for name, query in PIPELINE_QUERIES.items()}
    except Ids2Error as error:
        return {"error": str(error)}
