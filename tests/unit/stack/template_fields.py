"""The fields our index template maps, with their types, for the tests of what the
dashboards (OpenSearch Dashboards' and Grafana's) ask of them."""

from __future__ import annotations

from typing import Any

from ids2.shipping.opensearch.setup import index_template


def mapped_types() -> dict[str, str]:
    """Each mapped field's dotted path and its type."""
    types: dict[str, str] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, mapping in properties.items():
            if "properties" in mapping:
                walk(mapping["properties"], f"{prefix}{name}.")
            else:
                types[f"{prefix}{name}"] = mapping["type"]

    walk(index_template("ids2-logs")["template"]["mappings"]["properties"], "")
    return types
