"""What a test sees of a shared node: a config that ships to it, a client, its documents.

Tests share each node for the session, so each test starts from a node without ids2's
indices and templates (`clear`, run after every test by the `opensearch` and
`secure_opensearch` fixtures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from tests.opensearch.security import NodeSecurity

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


@dataclass
class NodeTarget:
    """The node's `url` (and its `security`, when it has one), with the helpers the
    shipping tests need."""

    url: str
    security: NodeSecurity | None = None

    def config(self, **opensearch: Any) -> Config:
        """A validated config shipping to the node (or to `endpoint`, when given)."""
        values = {"endpoint": self.url, **opensearch}
        return validate_document({"shipping": {"opensearch": values}}, "test", MACHINE)

    def secure_config(
        self, directory: Path, password: str | None = None, username: str = "", **opensearch: Any
    ) -> Config:
        """A config shipping to the secure node with basic auth and its CA bundle, from a
        secrets file in `directory` with the user's password (or `username`, `password`)."""
        assert self.security is not None, "only the secure node has users"
        secrets_file = directory / "secrets.yaml"
        secrets_file.write_text(self.security.secrets(password, username))
        secrets_file.chmod(0o600)
        values = {"auth": "basic", "ca_bundle": self.security.ca_bundle, **opensearch}
        config = self.config(**values)
        config["shipping"]["secrets_file"] = str(secrets_file)
        return config

    def client(self) -> Any:
        """An opensearch-py client of the node, for what the test itself asks."""
        from opensearchpy import OpenSearch

        if self.security is None:
            return OpenSearch(self.url, timeout=60)
        return OpenSearch(
            self.url,
            timeout=60,
            http_auth=(self.security.username, self.security.password),
            ca_certs=self.security.ca_bundle,
        )

    def counts(self, pattern: str = "ids2-logs-*") -> dict[str, int]:
        """Documents per index that `pattern` names, once every write is searchable."""
        client = self.client()
        client.indices.refresh(index=pattern, ignore_unavailable=True)
        rows = client.cat.indices(index=pattern, format="json", params={"ignore": 404})
        return {row["index"]: int(row["docs.count"]) for row in rows if "index" in row}

    def sources(self, pattern: str = "ids2-logs-*") -> list[dict[str, Any]]:
        """The `_source` of every document in `pattern` (at most 10,000)."""
        client = self.client()
        client.indices.refresh(index=pattern, ignore_unavailable=True)
        hits = client.search(index=pattern, size=10_000, params={"ignore_unavailable": "true"})
        return [hit["_source"] for hit in hits["hits"]["hits"]]

    def clear(self) -> None:
        """Delete every index but the hidden and system ones (the security plugin's), and
        every ids2 index template on the node."""
        client = self.client()
        client.indices.delete(
            index="*,-.*", expand_wildcards="open,closed", ignore_unavailable=True
        )
        templates = client.transport.perform_request("GET", "/_index_template")
        for template in templates["index_templates"]:
            if (template["index_template"].get("_meta") or {}).get("managed_by") == "ids2":
                client.transport.perform_request("DELETE", f"/_index_template/{template['name']}")
