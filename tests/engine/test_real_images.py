"""The real image of a service the rest of the engine suite plays with a stand-in, where a
registry answers: opt in with IDS2_TEST_IMAGES=1 (skipped otherwise, and here, where no
registry is reachable). For now EveBox.

The podman CLI pulls the pinned image into the engine's storage from this machine's
network (the engine's own namespace has no route out); the image takes the compose name
from the stand-in for the length of the test, which gives it back after. The stack runs
from stack/docker-compose.yml with the rendered files, the other services as in the rest
of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from ids2.config.load import load_secrets
from ids2.stack.compose import StackManager
from ids2.stack.render import compose_files
from tests.engine.engine import Engine, wait_until
from tests.engine.health import HealthPump
from tests.engine.images import COMPOSE_FILE, LOCAL_IMAGES
from tests.engine.sensor_config import rendered_config

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(
        os.environ.get("IDS2_TEST_IMAGES") != "1",
        reason="IDS2_TEST_IMAGES=1 runs the pinned images themselves (needs a registry)",
    ),
]
SIGNATURE = "ids2 real image test: inbox"
# GET URL with basic auth as USER:PASSWORD (both may be empty: no auth); prints the status
# and the body. Run in the engine's namespace, where the published port is.
FETCH = """
import base64, sys, urllib.error, urllib.request
url, user, password = sys.argv[1:4]
request = urllib.request.Request(url)
if user:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
try:
    with urllib.request.urlopen(request, timeout=10) as answer:
        print(answer.status, answer.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
"""


def alert_line() -> str:
    """One EVE alert as Suricata writes it to the alerts stream, timed now."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000+0000", time.gmtime())
    event = {
        "timestamp": now,
        "flow_id": 1234567890,
        "event_type": "alert",
        "src_ip": "192.0.2.10",
        "src_port": 40000,
        "dest_ip": "192.0.2.20",
        "dest_port": 80,
        "proto": "TCP",
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": 9200002,
            "rev": 1,
            "signature": SIGNATURE,
            "category": "",
            "severity": 2,
        },
    }
    return json.dumps(event) + "\n"


def fetch(engine: Engine, url: str, user: str = "", password: str = "") -> tuple[int, str]:
    result = engine.in_namespace("python3", "-c", FETCH, url, user, password)
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.partition(" ")
    return int(status), body


def test_the_pinned_evebox_gives_its_admin_the_alerts_of_the_spool(
    engine: Engine,
    stack_images: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    health_pump: HealthPump,
) -> None:
    image = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["evebox"]["image"]
    pulled = subprocess.run(
        ["podman", "pull", "--quiet", image],
        env=engine.environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert pulled.returncode == 0, f"podman pull {image}: {pulled.stderr}"
    try:
        config = rendered_config(tmp_path)
        ramdisk = Path(config["ramdisk"]["mount_point"])
        (ramdisk / f"alerts.json.{int(time.time())}").write_text(alert_line())
        monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
        manager = StackManager(
            compose_files(config), "ids2real", Path(config["paths"]["rendered_dir"]) / "stack.env"
        )
        manager.up()
        try:
            assert manager.wait_healthy(300)["evebox"].health == "healthy"
            base = f"http://127.0.0.1:{config['stack']['evebox']['port']}"
            secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
            password = secrets["evebox_admin_password"]
            assert fetch(engine, f"{base}/api/alerts")[0] == 401
            assert fetch(engine, f"{base}/api/alerts", "admin", "not-the-password")[0] == 401
            wait_until(
                lambda: SIGNATURE in fetch(engine, f"{base}/api/alerts", "admin", password)[1],
                120,
                "the alert in EveBox's inbox",
            )
        finally:
            manager.down()
    finally:
        repository, _, tag = image.rpartition(":")
        engine.client.images.get(f"localhost/{LOCAL_IMAGES['evebox']}:latest").tag(repository, tag)
