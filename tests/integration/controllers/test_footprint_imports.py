"""Each controller imports only what it needs: the footprint goal's guard against regressions.

Every module a long-running controller imports stays in its memory for good, so heavy
libraries (the Docker SDK, boto3, opensearch-py, prometheus_client, ssl) must not reach a
controller that does not use them. The controllers run for real, with the default config,
until READY=1 (setup and a first step done), then stop cleanly and list `sys.modules`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.opensearch.target import NodeTarget
from tests.support.notify_listener import NotifyListener
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

NEVER = {"docker", "boto3", "botocore", "opensearchpy", "urllib3", "requests"}
NEVER_OURS = {
    "ids2.shipping.fallback",
    "ids2.shipping.bulk",
    "ids2.deploy",
    "ids2.shipping.opensearch.client",
}
# prometheus_client's exposition imports ssl and (through urllib.request) tempfile: only
# the exporter pays for them.
ONLY_IN = {
    "prometheus_client": {"metrics"},
    "ssl": {"metrics"},
    "tempfile": {"metrics"},
    "psutil": {"resource", "metrics"},
}


def imported_modules(controller: str, tmp_path: Path, opensearch: dict[str, str]) -> set[str]:
    """The modules `ids2 run CONTROLLER` has imported once it is ready, with the default
    config but for `opensearch` (shipping.opensearch keys)."""
    (tmp_path / "ram" / "canary").mkdir(parents=True)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ramdisk": {"mount_point": str(tmp_path / "ram")},
                "shipping": {
                    "spool": {"directory": str(tmp_path / "spool")},
                    "opensearch": opensearch,
                },
                "metrics": {"port": free_port()},
            }
        )
    )
    listener = NotifyListener(tmp_path / "notify.sock")
    env = dict(os.environ, NOTIFY_SOCKET=str(listener.path), IDS2_RUNTIME_DIR=str(tmp_path))
    listing = tmp_path / "modules.txt"
    program = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from ids2.cli import main\n"
        f"raise SystemExit(main(['run', {controller!r}, '--config', {str(config)!r}]))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", program], env=env)
    try:
        listener.wait_for("READY", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        listener.close()
    return set(listing.read_text().split())


@pytest.mark.parametrize("controller", ["resource", "connectivity", "metrics", "verify"])
def test_controllers_import_only_what_they_use(controller: str, tmp_path: Path) -> None:
    modules = imported_modules(controller, tmp_path, {})
    assert f"ids2.controllers.{controller}" in modules
    top_level = {name.split(".")[0] for name in modules}
    assert top_level & NEVER == set()
    assert modules & NEVER_OURS == set()
    assert {name for name, users in ONLY_IN.items() if controller not in users} & top_level == set()


@pytest.mark.parametrize("controller", ["connectivity", "verify"])
def test_shipping_keeps_opensearch_py_out_of_the_controllers(
    controller: str, tmp_path: Path, opensearch: NodeTarget
) -> None:
    """They talk to OpenSearch through opensearch_http: opensearch-py, urllib3 and requests
    would stay in each for good (about 18 MB)."""
    modules = imported_modules(controller, tmp_path, {"endpoint": opensearch.url})
    assert "ids2.shipping.opensearch.http" in modules
    assert {name.split(".")[0] for name in modules} & NEVER == set()
    assert modules & NEVER_OURS == set()
