"""Index template on the real node and ISM policy on the ISM double in front of it (the ISM
plugin is not published on Maven Central): idempotent install, clean upgrades, SigV4 checked
by the front, and errors that say what to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ids2.config.load import Config
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.opensearch.setup import (
    OpenSearchSetupError,
    explain,
    index_template,
    install,
    ism_policy,
    prepare,
    template_name,
)
from tests.integration.shipping.conftest import SignedFront, shipping_config
from tests.opensearch.front import NodeFront
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration


@pytest.fixture
def front(node_front: Callable[..., NodeFront]) -> NodeFront:
    return node_front()


def config(front: NodeFront, retention: int = 30, **opensearch: Any) -> Config:
    return shipping_config(
        opensearch={"endpoint": front.url, "retention_days": retention, **opensearch}
    )


def writes(front: NodeFront) -> list[str]:
    return [f"{r.method} {r.path}" for r in front.requests if r.method != "GET"]


def stored_template(node: NodeTarget) -> dict[str, Any]:
    path = f"/_index_template/{template_name('ids2-logs')}"
    answer = node.client().transport.perform_request("GET", path)
    document: dict[str, Any] = answer["index_templates"][0]["index_template"]
    return document


def test_install_then_nothing_to_do(front: NodeFront, opensearch: NodeTarget) -> None:
    settings = config(front)
    client = make_client(settings, timeout=30)
    assert prepare(client, settings) == (
        "index template ids2-logs created; ISM policy ids2-logs-retention created"
    )
    assert stored_template(opensearch)["_meta"] == index_template("ids2-logs")["_meta"]
    assert (
        front.ism.policies["ids2-logs-retention"]["policy"]
        == (ism_policy("ids2-logs", 30)["policy"])
    )
    before = len(writes(front))
    assert prepare(client, settings) == (
        "index template ids2-logs unchanged; ISM policy ids2-logs-retention unchanged"
    )
    assert len(writes(front)) == before, "an unchanged deploy writes nothing"


def test_a_new_retention_replaces_the_policy_and_moves_existing_indices(
    front: NodeFront, opensearch: NodeTarget
) -> None:
    client = make_client(config(front), timeout=30)
    node = opensearch.client()
    node.indices.create(index="ids2-logs-2026.11.24")
    first = install(client, "ids2-logs", 30)
    assert first.indices_attached == 1, "indices made before the policy get it too"
    node.indices.create(index="ids2-logs-2026.11.25")
    front.ism.managed["ids2-logs-2026.11.25"] = "ids2-logs-retention"  # its ism_template did it
    report = install(client, "ids2-logs", 7)
    assert (report.template, report.policy) == ("unchanged", "replaced")
    assert report.indices_attached == 2, "change_policy: existing indices follow the new one"
    policy = front.ism.policies["ids2-logs-retention"]["policy"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "7d"}
    update = [w for w in writes(front) if w.startswith("PUT /_plugins/_ism/policies")][-1]
    assert "if_seq_no=" in update and "if_primary_term=" in update


def test_a_changed_template_is_replaced(front: NodeFront, opensearch: NodeTarget) -> None:
    client = make_client(config(front), timeout=30)
    older = index_template("ids2-logs")
    older["_meta"]["ids2_digest"] = "an older release"
    opensearch.client().transport.perform_request(
        "PUT", f"/_index_template/{template_name('ids2-logs')}", body=older
    )
    assert install(client, "ids2-logs", 30).template == "replaced"
    assert stored_template(opensearch)["_meta"] == index_template("ids2-logs")["_meta"]


def test_a_policy_changed_meanwhile_is_read_again(
    front: NodeFront, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(config(front), timeout=30)
    install(client, "ids2-logs", 30)
    ism = front.ism
    original, interfered = ism.handle, []

    def another_writer_after_our_read(method: str, path: str, body: bytes, indices: Any) -> Any:
        answer = original(method, path, body, indices)
        if method == "GET" and "_ism/policies" in path and not interfered:
            interfered.append(path)
            ism.policy(
                "PUT",
                "ids2-logs-retention",
                {"if_seq_no": str(answer[1]["_seq_no"]), "if_primary_term": "1"},
                b'{"policy": {"description": "by hand"}}',
            )
        return answer

    monkeypatch.setattr(ism, "handle", another_writer_after_our_read)
    assert install(client, "ids2-logs", 14).policy == "replaced"
    assert ism.policies["ids2-logs-retention"]["policy"] == ism_policy("ids2-logs", 14)["policy"]
    puts = [w for w in writes(front) if w.startswith("PUT /_plugins/_ism/policies")]
    assert len(puts) == 3, "created, refused as stale (409), then written over the new one"


def test_signed_with_sigv4_and_the_wrong_region_or_key_explained(
    signed_front: SignedFront, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = signed_front.config()
    assert "created" in prepare(make_client(settings, timeout=30), settings)
    headers = signed_front.server.requests[-1].headers
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDIDS2TESTDOUBLE/")
    wrong = signed_front.config(aws_region="us-east-1")
    with pytest.raises(OpenSearchSetupError, match="signed for us-east-1, which is not"):
        prepare(make_client(wrong, timeout=30), wrong)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSOMEBODYELSE")
    with pytest.raises(OpenSearchSetupError, match="does not recognise these credentials"):
        prepare(make_client(settings, timeout=30), settings)


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (
            403,
            {
                "error": {
                    "type": "security_exception",
                    "reason": "no permissions for [indices:admin/index_template/put] and User "
                    "[name=arn:aws:iam::1:role/sensor, backend_roles=[], requestedTenant=null]",
                }
            },
            "fine-grained access control refuses arn:aws:iam::1:role/sensor the permission "
            "indices:admin/index_template/put",
        ),
        (403, {"message": "The security token included in the request is expired"}, "expired"),
        (
            403,
            {"Message": "User: arn:aws:iam::1:user/x is not authorized to perform: es:ESHttpPut"},
            "the domain's access policy does not allow this identity",
        ),
        (401, {"error": "unauthorized"}, "the endpoint wants credentials"),
    ],
)
def test_refusals_say_what_to_fix(status: int, body: Any, words: str) -> None:
    from opensearchpy.exceptions import AuthenticationException, AuthorizationException

    kind = AuthenticationException if status == 401 else AuthorizationException
    error = kind(status, "security_exception", body)
    settings = shipping_config(opensearch={"endpoint": "https://os.lan"})
    assert words in str(explain(error, settings, "installing"))


def test_an_unreachable_endpoint_is_named() -> None:
    settings = shipping_config(opensearch={"endpoint": "http://127.0.0.1:9"})
    with pytest.raises(OpenSearchSetupError, match=r"cannot reach http://127\.0\.0\.1:9"):
        prepare(make_client(settings, timeout=2), settings)
