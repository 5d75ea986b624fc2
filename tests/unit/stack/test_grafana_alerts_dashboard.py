"""The Grafana dashboard of the latest alerts: it asks the provisioned OpenSearch datasource,
and every field its query, its sort and its columns use exists in our index template."""

from __future__ import annotations

import json
import re
from typing import Any

from ids2.common.stack_files import stack_dir
from ids2.stack import grafana
from tests.unit.stack.template_fields import mapped_types

DASHBOARD = stack_dir() / "grafana" / "dashboards" / "ids2-alerts-opensearch.json"
LUCENE_FIELD = re.compile(r"([\w@.]+):")


def _panel() -> dict[str, Any]:
    [panel] = json.loads(DASHBOARD.read_text())["panels"]
    assert isinstance(panel, dict)
    return panel


def test_every_query_targets_the_provisioned_datasource() -> None:
    wanted = {"type": grafana.PLUGIN, "uid": grafana.DATASOURCE_UID}
    panel = _panel()
    assert panel["datasource"] == wanted
    assert [target["datasource"] for target in panel["targets"]] == [wanted]


def test_the_query_fields_exist_and_match_their_types() -> None:
    types = mapped_types()
    [target] = _panel()["targets"]
    fields = LUCENE_FIELD.findall(target["query"])
    assert fields == ["event.kind", "tags"]
    assert all(types[name] == "keyword" for name in fields)
    assert types[target["timeField"]] == "date"
    assert target["metrics"][0]["type"] == "raw_data"


def test_every_column_exists_in_the_index_template() -> None:
    types = mapped_types()
    transformations = {t["id"]: t["options"] for t in _panel()["transformations"]}
    columns = transformations["filterFieldsByName"]["include"]["names"]
    missing = [name for name in columns if name not in types]
    assert not missing
    assert set(transformations["organize"]["renameByName"]) == set(columns)


def test_the_lucene_field_pattern_finds_fields() -> None:
    assert LUCENE_FIELD.findall("a.b:x AND NOT c:y") == ["a.b", "c"]
