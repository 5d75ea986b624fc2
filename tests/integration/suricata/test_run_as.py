"""Suricata dropping to its own user (run-as) once af-packet is open, started as the unit's
drop-in starts it (its capability bounding set, group and umask; not its namespaces):
alerts still flow, the EVE files and suricata.log are that user's, SIGHUP still reopens
them, rules still reload live, the command socket is for root and that user's group, and a
restart still opens the log."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.render import SuricataFacts, render_text
from ids2.suricata.rules import RulePaths, update_rules
from tests.integration.suricata.test_rules_reload import (
    RULE_A,
    RULE_B,
    loaded,
    running_suricata,
    signature_ids,
)
from tests.support.netns import HOST_ADDRESS, veth_namespace
from tests.support.sandbox import sandbox_prefix, sandbox_umask
from tests.support.suricata_files import write_rendered
from tests.support.users import system_user

pytestmark = [
    pytest.mark.capture,
    pytest.mark.skipif(shutil.which("suricata-update") is None, reason="needs suricata-update"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and af-packet"),
]
# Not `suricata`: the renderer names that user wherever it exists, which would change how
# every other test on this machine runs Suricata while this one runs.
TEST_USER = "ids2-test-runas"
# CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_SYS_NICE (23): what libcap-ng keeps for af-packet.
AF_PACKET_CAPABILITIES = (1 << 12) | (1 << 13) | (1 << 23)


@pytest.fixture
def user() -> Iterator[pwd.struct_passwd]:
    with system_user(TEST_USER) as made:
        yield made


@pytest.fixture
def base() -> Iterator[Path]:
    """A directory the dropped user can reach (pytest's own are root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="ids2-runas-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines)


def wait_for(predicate: object, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds  # generous: the machine is shared
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_suricata_as_its_user_alerts_rotates_and_reloads(
    user: pwd.struct_passwd, base: Path
) -> None:
    ram, run, rules, logs = (base / name for name in ("ram", "run", "rules", "log"))
    for directory in (ram, run, rules, logs):
        directory.mkdir()
    # As the mount unit and the drop-in make them: the RAM disk the user's, the socket's
    # directory root's and writable by the user's group.
    os.chown(ram, user.pw_uid, -1)
    os.chown(run, 0, user.pw_gid)
    run.chmod(0o770)
    (rules / "suricata.rules").write_text(RULE_A + "\n")
    (base / "source.rules").write_text(RULE_A + "\n" + RULE_B + "\n")
    with veth_namespace() as network:
        document = {
            "sensor": {
                "interface": network.host_interface,
                "workers": 1,
                "unix_socket": str(run / "suricata.socket"),
                "rules": {"sources": [f"file://{base / 'source.rules'}"]},
            },
            "ramdisk": {"mount_point": str(ram)},
            "paths": {"rendered_dir": str(base / "rendered")},
        }
        machine = Machine(os.cpu_count() or 1, 8192, frozenset({network.host_interface}))
        config = validate_document(document, "test", machine)
        facts = SuricataFacts(os.cpu_count() or 1, False, "sensor", run_as=TEST_USER)
        (write_rendered(config) / "suricata.yaml").write_text(render_text(config, facts))
        # As the unit starts it: the drop-in's bounding set, group and umask (setpriv).
        sandbox = (sandbox_prefix(TEST_USER), sandbox_umask())
        with running_suricata(network, config, rules, logs, *sandbox) as suricata:
            status = proc_status(suricata.pid)
            print(f"Suricata runs as uid {status['Uid']}, capabilities {status['CapEff']}")
            assert set(status["Uid"].split()) == {str(user.pw_uid)}
            assert set(status["Gid"].split()) == {str(user.pw_gid)}
            assert int(status["CapEff"], 16) == AF_PACKET_CAPABILITIES
            assert int(status["CapBnd"], 16) == 0
            socket = (run / "suricata.socket").stat()
            assert (socket.st_uid, socket.st_gid) == (user.pw_uid, user.pw_gid)
            assert stat.S_IMODE(socket.st_mode) == 0o660

            network.run("ping", "-c", "2", "-i", "0.2", HOST_ADDRESS)
            assert wait_for(lambda: 9200001 in signature_ids(ram)), "no alert as the user"
            assert {path.stat().st_uid for path in ram.glob("eve*.json")} == {user.pw_uid}
            log = logs / "suricata.log"
            assert log.stat().st_uid == user.pw_uid

            # Rotation: the files moved away, SIGHUP, and Suricata (no longer root) opens
            # new ones on the RAM disk; suricata.log is reopened in place.
            for path in ram.glob("eve*.json"):
                path.rename(base / path.name)
            logged = log.stat().st_size
            suricata.send_signal(signal.SIGHUP)
            network.run("ping", "-c", "2", "-i", "0.2", HOST_ADDRESS)
            assert wait_for(lambda: 9200001 in signature_ids(ram)), "no EVE file after SIGHUP"
            assert {path.stat().st_uid for path in ram.glob("eve*.json")} == {user.pw_uid}

            # Live reload, as `ids2 rules update` does it, through the socket.
            result = update_rules(config, RulePaths(data_dir=base / "data", rules_dir=rules))
            assert result["rules_failed"] == 0
            assert loaded(config) == result["rules_loaded"] > 1
            assert log.stat().st_size > logged, "suricata.log not written after SIGHUP"
            assert suricata.poll() is None
        # A restart (root again, without CAP_DAC_OVERRIDE) still opens the suricata.log that
        # the first run handed to the user.
        with running_suricata(network, config, rules, logs, *sandbox):
            assert log.read_text().count("This is Suricata version") == 2
