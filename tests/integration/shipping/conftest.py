"""The real node behind the front that checks SigV4 (our verifier: the node cannot), for the
shipping tests signed as on AWS OpenSearch Service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from tests.opensearch.front import TEST_REGION, NodeFront
from tests.support.tls_certs import make_ca, server_context

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


@dataclass
class SignedFront:
    """The node over TLS, behind a front requiring SigV4 by the test credentials, and its CA
    bundle."""

    server: NodeFront
    ca_bundle: str

    def config(self, **opensearch: Any) -> Config:
        """A config that signs for the front's region (unless told otherwise)."""
        values = {
            "endpoint": self.server.url,
            "auth": "aws",
            "aws_region": TEST_REGION,
            "ca_bundle": self.ca_bundle,
            **opensearch,
        }
        return shipping_config(opensearch=values)


@pytest.fixture
def signed_front(
    tmp_path: Path, aws_test_credentials: None, node_front: Callable[..., NodeFront]
) -> SignedFront:
    ca = make_ca(tmp_path)
    tls = server_context(ca, tmp_path, "localhost", 30)
    return SignedFront(node_front(tls=tls, auth="aws"), str(ca.bundle))


def shipping_config(**shipping: Any) -> Config:
    """A validated config with these shipping settings."""
    return validate_document({"shipping": shipping}, "test", MACHINE)
