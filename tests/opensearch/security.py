"""The security plugin's settings for a test node: TLS on HTTP from a test CA, basic auth.

The node's certificate (for `localhost` only, valid 30 days) comes from a CA made for the
session, so a client trusts it only through that CA's bundle. The plugin reads its users
from the YAML files in config/opensearch-security/ when it first creates its index
(`allow_default_init_securityindex`, as its demo installer does): this writes one internal
user, `ids2`, with a password generated per session, hashed by the plugin's own
tools/hash.sh, and maps it to `all_access`; and `reader`, mapped to the plugin's `readall`
role, to meet the plugin's own 403. The demo users the plugin ships (admin/admin and the
others) are not written, so no default credential works.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.tls_certs import CertificateAuthority, leaf, make_ca

USER = "ids2"
READER = "reader"
HOSTNAME = "localhost"
CERT_VALID_DAYS = 30
# The newest security plugin Maven Central serves, and the OpenSearch it was built for.
PLUGIN = "opensearch-security:2.19.4.0"
VERSION = "2.19.4"


def _config_file(kind: str, entries: dict[str, Any]) -> str:
    return yaml.safe_dump({"_meta": {"type": kind, "config_version": 2}, **entries})


@dataclass
class NodeSecurity:
    """A CA, the node's certificate and key, the user's credentials and the reader's
    password."""

    directory: Path
    username: str = USER
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    reader_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca: CertificateAuthority = make_ca(self.directory)
        self.certificate, self.key = leaf(self.ca, self.directory, HOSTNAME, CERT_VALID_DAYS)

    @property
    def ca_bundle(self) -> str:
        """The CA file a client trusts the node's certificate through."""
        return str(self.ca.bundle)

    def settings(self) -> dict[str, Any]:
        """opensearch.yml settings: TLS on transport (the plugin requires it) and on HTTP."""
        files = {"pemcert_filepath": "node.pem", "pemkey_filepath": "node.key"}
        files["pemtrustedcas_filepath"] = "ca.pem"
        return {
            **{f"plugins.security.ssl.transport.{key}": name for key, name in files.items()},
            **{f"plugins.security.ssl.http.{key}": name for key, name in files.items()},
            "plugins.security.ssl.http.enabled": True,
            "plugins.security.ssl.transport.enforce_hostname_verification": False,
            "plugins.security.nodes_dn": [f"CN={HOSTNAME}"],
            "plugins.security.allow_default_init_securityindex": True,
            "plugins.security.audit.type": "noop",
        }

    def write(self, config: Path, home: Path, java_home: str) -> None:
        """Put the certificates and the users into a node's config directory."""
        for source, name in ((self.certificate, "node.pem"), (self.key, "node.key")):
            shutil.copyfile(source, config / name)
        shutil.copyfile(self.ca.bundle, config / "ca.pem")
        plugin = config / "opensearch-security"
        users = {
            name: {"hash": _hash(home, java_home, password), "description": "ids2 tests"}
            for name, password in ((self.username, self.password), (READER, self.reader_password))
        }
        (plugin / "internal_users.yml").write_text(_config_file("internalusers", users))
        mapping = {"all_access": {"users": [self.username]}, "readall": {"users": [READER]}}
        (plugin / "roles_mapping.yml").write_text(_config_file("rolesmapping", mapping))

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting the node's CA, verifying its certificate."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    def secrets(self, password: str | None = None, username: str = "") -> str:
        """The secrets file ids2 reads the user and password (or `username`, `password`)
        from."""
        chosen = self.password if password is None else password
        return yaml.safe_dump(
            {"opensearch_username": username or self.username, "opensearch_password": chosen}
        )

    def authorization(self) -> str:
        """The user's Basic Authorization header."""
        pair = f"{self.username}:{self.password}"
        return "Basic " + base64.b64encode(pair.encode()).decode()


def _hash(home: Path, java_home: str, password: str) -> str:
    """The password's BCrypt hash by the plugin's own tool (the password goes in the
    environment, not on a command line)."""
    tool = home / "plugins/opensearch-security/tools/hash.sh"
    environment = {**os.environ, "JAVA_HOME": java_home, "IDS2_HASHED": password}
    done = subprocess.run(
        ["bash", str(tool), "-env", "IDS2_HASHED"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]
