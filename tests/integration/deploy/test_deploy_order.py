"""The deploy installs the index template and ISM policy before it starts Vector, proven on
the real node: the daily index that Vector's first event creates has our mapping."""

from __future__ import annotations

import io
import json

import pytest

from ids2.deploy import phases
from ids2.deploy.phases import DeployContext, deploy_phases
from ids2.deploy.runner import run_phases
from ids2.shipping.bulk import index_name
from tests.integration.shipping.ecs_documents import ecs_documents
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration
PREFIX = "ids2-logs"


def test_the_first_index_of_a_first_deploy_has_our_mapping(
    opensearch: NodeTarget, opensearch_with_ism: NodeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = next(d for d in ecs_documents() if "ip" in d.get("source", {}) and "rule" in d)
    index = index_name(PREFIX, first["@timestamp"])
    node = opensearch.client()

    def vector_starts(context: DeployContext) -> str:
        """The stack phase as Vector's sink acts once it runs: its first event goes out."""
        action = {"index": {"_index": index, "_id": first["ids2"]["doc_id"]}}
        body = f"{json.dumps(action)}\n{json.dumps(first)}\n"
        assert node.bulk(body=body)["errors"] is False
        return "Vector shipped its first event"

    monkeypatch.setattr(phases, "stack_up", vector_starts)
    context = DeployContext(opensearch_with_ism.config())  # ISM: answered by the test double
    steps = [phase for phase in deploy_phases(context) if phase.letter in "ACD"]
    report = run_phases(steps, out=io.StringIO())
    assert [(result.letter, result.ok) for result in report.results] == [
        ("A", True),
        ("C", True),
        ("D", True),
    ]

    mapping = node.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["dynamic"] == "false", "the template's mapping, not a dynamic one"
    properties = mapping["properties"]
    assert properties["source"]["properties"]["ip"]["type"] == "ip"
    assert properties["rule"]["properties"]["id"]["type"] == "keyword"
    health = node.cluster.health(index=index, wait_for_status="green")
    assert health["status"] == "green", "no replica that a single node cannot place"
