"""The OpenSearch test double for the shipping tests, plus the two ISM calls it lacks."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from tests.doubles.opensearch_store import DocumentStore, Response
from tests.doubles.opensearch_test_double import (
    TEST_CREDENTIALS,
    TEST_REGION,
    OpenSearchTestDouble,
)
from tests.support.tls_certs import make_ca, server_context

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


@dataclass
class IsmStore(DocumentStore):
    """The double's store, answering ISM add and change_policy as OpenSearch documents."""

    managed: dict[str, str] = field(default_factory=dict)

    def _route(self, method: str, path: list[str], params: dict[str, str], body: bytes) -> Response:
        if path[:2] == ["_plugins", "_ism"] and path[2] in ("add", "change_policy"):
            wanted = json.loads(body)["policy_id"]
            names = [name for name in self.indices if fnmatch.fnmatch(name, path[3])]
            adding = path[2] == "add"
            chosen = [name for name in names if (name in self.managed) != adding]
            self.managed.update(dict.fromkeys(chosen, wanted))
            failed = [{"index_name": n, "reason": "refused"} for n in names if n not in chosen]
            return 200, {
                "updated_indices": len(chosen),
                "failures": bool(failed),
                "failed_indices": failed,
            }
        return super()._route(method, path, params, body)


@pytest.fixture
def double() -> Iterator[OpenSearchTestDouble]:
    server = OpenSearchTestDouble(store=IsmStore()).start()
    yield server
    server.stop()


@dataclass
class SignedDouble:
    """The double over TLS, requiring SigV4 by the test credentials, and its CA bundle."""

    server: OpenSearchTestDouble
    ca_bundle: str

    def config(self, **opensearch: Any) -> Config:
        """A config that signs for the double's region (unless told otherwise)."""
        values = {
            "endpoint": self.server.url,
            "auth": "aws",
            "aws_region": TEST_REGION,
            "ca_bundle": self.ca_bundle,
            **opensearch,
        }
        return shipping_config(opensearch=values)


@pytest.fixture
def signed_double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedDouble]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS.secret_key)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    ca = make_ca(tmp_path)
    tls = server_context(ca, tmp_path, "localhost", 30)
    server = OpenSearchTestDouble(auth="aws", tls=tls, store=IsmStore()).start()
    yield SignedDouble(server, str(ca.bundle))
    server.stop()


def shipping_config(**shipping: Any) -> Config:
    """A validated config with these shipping settings."""
    return validate_document({"shipping": shipping}, "test", MACHINE)
