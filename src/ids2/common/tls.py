"""The TLS client context both the OpenSearch client and the handshake probe use."""

from __future__ import annotations

import ssl


def tls_context(ca_bundle: str, verify: bool) -> ssl.SSLContext:
    """A client context trusting the CA bundle (or the system store), verifying by default."""
    context = ssl.create_default_context(cafile=ca_bundle or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
