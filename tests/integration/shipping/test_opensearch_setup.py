"""Index template and ISM policy against the OpenSearch test double: idempotent install,
clean upgrades, SigV4, and errors that say what to fix."""

from __future__ import annotations

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
)
from tests.doubles.opensearch_test_double import OpenSearchTestDouble
from tests.integration.shipping.conftest import IsmStore, SignedDouble, shipping_config

pytestmark = pytest.mark.integration


def config(double: OpenSearchTestDouble, retention: int = 30, **opensearch: Any) -> Config:
    return shipping_config(
        opensearch={"endpoint": double.url, "retention_days": retention, **opensearch}
    )


def writes(double: OpenSearchTestDouble) -> list[str]:
    return [f"{r.method} {r.path}" for r in double.requests if r.method != "GET"]


def test_install_then_nothing_to_do(double: OpenSearchTestDouble) -> None:
    settings = config(double)
    client = make_client(settings, timeout=5)
    assert prepare(client, settings) == (
        "index template ids2-logs created; ISM policy ids2-logs-retention created"
    )
    assert double.store.templates["ids2-logs"] == index_template("ids2-logs")
    assert (
        double.store.policies["ids2-logs-retention"]["policy"]
        == (ism_policy("ids2-logs", 30)["policy"])
    )
    before = len(writes(double))
    assert prepare(client, settings) == (
        "index template ids2-logs unchanged; ISM policy ids2-logs-retention unchanged"
    )
    assert len(writes(double)) == before, "an unchanged deploy writes nothing"


def test_a_new_retention_replaces_the_policy_and_moves_existing_indices(
    double: OpenSearchTestDouble,
) -> None:
    client = make_client(config(double), timeout=5)
    double.store.indices["ids2-logs-2026.11.24"] = {}
    first = install(client, "ids2-logs", 30)
    assert first.indices_attached == 1, "indices made before the policy get it too"
    double.store.indices["ids2-logs-2026.11.25"] = {}
    store = double.store
    assert isinstance(store, IsmStore)
    store.managed["ids2-logs-2026.11.25"] = "ids2-logs-retention"  # its ism_template did it
    report = install(client, "ids2-logs", 7)
    assert (report.template, report.policy) == ("unchanged", "replaced")
    assert report.indices_attached == 2, "change_policy: existing indices follow the new one"
    policy = double.store.policies["ids2-logs-retention"]["policy"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "7d"}
    update = [w for w in writes(double) if w.startswith("PUT /_plugins/_ism/policies")][-1]
    assert "if_seq_no=" in update and "if_primary_term=" in update


def test_a_changed_template_is_replaced(double: OpenSearchTestDouble) -> None:
    client = make_client(config(double), timeout=5)
    install(client, "ids2-logs", 30)
    double.store.templates["ids2-logs"]["_meta"]["ids2_digest"] = "an older release"
    assert install(client, "ids2-logs", 30).template == "replaced"
    assert double.store.templates["ids2-logs"] == index_template("ids2-logs")


def test_a_policy_changed_meanwhile_is_read_again(
    double: OpenSearchTestDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(config(double), timeout=5)
    install(client, "ids2-logs", 30)
    store = double.store
    original, interfered = store.handle, []

    def another_writer_after_our_read(method: str, path: str, body: bytes) -> Any:
        answer = original(method, path, body)
        if method == "GET" and "_ism/policies" in path and not interfered:
            interfered.append(path)
            store._policy(
                "PUT",
                "ids2-logs-retention",
                {"if_seq_no": str(answer[1]["_seq_no"]), "if_primary_term": "1"},
                b'{"policy": {"description": "by hand"}}',
            )
        return answer

    monkeypatch.setattr(store, "handle", another_writer_after_our_read)
    assert install(client, "ids2-logs", 14).policy == "replaced"
    assert store.policies["ids2-logs-retention"]["policy"] == ism_policy("ids2-logs", 14)["policy"]
    puts = [w for w in writes(double) if w.startswith("PUT /_plugins/_ism/policies")]
    assert len(puts) == 3, "created, refused as stale (409), then written over the new one"


def test_signed_with_sigv4_and_the_wrong_region_or_key_explained(
    signed_double: SignedDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = signed_double.config()
    assert "created" in prepare(make_client(settings, timeout=5), settings)
    headers = signed_double.server.requests[-1].headers
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDIDS2TESTDOUBLE/")
    wrong = signed_double.config(aws_region="us-east-1")
    with pytest.raises(OpenSearchSetupError, match="signed for us-east-1, which is not"):
        prepare(make_client(wrong, timeout=5), wrong)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSOMEBODYELSE")
    with pytest.raises(OpenSearchSetupError, match="does not recognise these credentials"):
        prepare(make_client(settings, timeout=5), settings)


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
