"""Each controller imports only what it needs: the footprint goal's guard against regressions.

Every module a long-running controller imports stays in its memory for good, so heavy
libraries (the Docker SDK, boto3, opensearch-py, prometheus_client, ssl) must not reach a
controller that does not use them. The controllers run for real, with the default config,
until READY=1 (setup and a first step done), then stop cleanly and list `sys.modules`.
Private memory each costs a controller, measured (an interpreter with PyYAML, json, socket,
logging and pathlib, with and without it): dataclasses (with inspect, ast, dis) 1.0 MB,
logging 0.6-0.7 MB, typing 0.4 MB, argparse 0.3 MB, shutil 0.2 MB, uuid 0.14 MB. The
config's validator (PyYAML, the schema and its checks) 1.4-1.6 MB: it runs in a forked
child (ids2.config.isolated), whose modules the listing does not see.
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
# The standard library's costly modules no controller needs (see ids2's package docstring).
NEVER |= {"argparse", "dataclasses", "logging", "uuid"}
# Parsing and validating the config happens in a short-lived child (ids2.config.isolated).
NEVER |= {"yaml", "_yaml"}
NEVER_OURS = {
    "ids2.shipping.fallback",
    "ids2.shipping.bulk",
    "ids2.deploy",
    "ids2.shipping.opensearch.client",
    # The renderers and their dataclasses: the alerts collector needs only file names.
    "ids2.suricata.render",
    "ids2.common.rendered",
    # The validator: only the child that reads the config file imports it.
    "ids2.config.load",
    "ids2.config.schema",
    "ids2.config.validate",
    "ids2.config.crossfield",
    "ids2.config.normalize",
}
# `ids2 run` reads its command line without the parser and the other commands' modules.
CLI_MODULES = {"ids2.cli", "ids2.cli.run"}
# prometheus_client's exposition imports ssl and (through urllib.request) tempfile, and
# the package imports typing, inspect and shutil: only the exporter pays for them.
ONLY_IN = {
    "prometheus_client": {"metrics"},
    "ssl": {"metrics"},
    "tempfile": {"metrics"},
    "psutil": {"resource", "metrics"},
    "typing": {"metrics"},
    "inspect": {"metrics"},
    "shutil": {"metrics"},
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


def assert_lean(controller: str, modules: set[str], also: frozenset[str] = frozenset()) -> None:
    """None of what `controller` has no use for is among its `modules`; `also` names those
    of ONLY_IN that it uses too in this configuration."""
    assert f"ids2.controllers.{controller}" in modules
    top_level = {name.split(".")[0] for name in modules}
    assert top_level & NEVER == set()
    assert modules & NEVER_OURS == set()
    assert {name for name in modules if name.startswith("ids2.cli")} <= CLI_MODULES
    unused = {name for name, users in ONLY_IN.items() if controller not in users} - also
    assert unused & top_level == set()


@pytest.mark.parametrize("controller", ["resource", "connectivity", "metrics", "verify"])
def test_controllers_import_only_what_they_use(controller: str, tmp_path: Path) -> None:
    assert_lean(controller, imported_modules(controller, tmp_path, {}))


@pytest.mark.parametrize("controller", ["connectivity", "verify"])
def test_shipping_keeps_opensearch_py_out_of_the_controllers(
    controller: str, tmp_path: Path, opensearch: NodeTarget
) -> None:
    """They talk to OpenSearch through opensearch_http: opensearch-py, urllib3 and requests
    would stay in each for good (about 18 MB)."""
    modules = imported_modules(controller, tmp_path, {"endpoint": opensearch.url})
    assert "ids2.shipping.opensearch.http" in modules
    # ssl for https endpoints: the connectivity probe's TLS check and the HTTP client.
    assert_lean(controller, modules, also=frozenset({"ssl"}))
