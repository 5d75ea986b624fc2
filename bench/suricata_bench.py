"""The rendered suricata.yaml against Debian's stock one: speed and detections.

1. Offline: the same pcap and the same rules through `suricata -r` with each config,
   three runs each; packets per second (median, start-up taken out) and the ratio, and the
   alerts compared. A rate is printed only when every run decoded every packet (Suricata's
   own stats) and the work stands well clear of how much start-up varies; else why not.
2. Live: the pcap replayed with tcpreplay over a veth pair for a few seconds at doubling
   rates, until Suricata drops packets (in two replays at a rate) or tcpreplay itself can go
   no faster (the rate it reached, from its own statistics); the highest rate each config
   takes without kernel drops, and which of the two set the limit.
3. Privileges: the rendered config run as root, with run-as (Suricata drops to a user
   of its own after opening the capture, keeping CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_NICE),
   and with run-as under setpriv: the drop-in's capability bounding set, no_new_privs and
   group (tests.support.sandbox). That approximates the unit's sandbox where systemd is not
   PID 1: not its namespaces (ProtectSystem=, PrivateTmp=, ...) nor its seccomp filter.
   Offline packets per second and the ratio to root; live, as in 2.
Goal: the rendered config at least as fast as stock, with the same detections; run-as and
the sandbox no slower than root.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from suricata_rates.live import live  # noqa: E402
from suricata_rates.offline import Variant, compare, offline  # noqa: E402
from tests.integration.suricata.test_crafted_pcaps import (  # noqa: E402
    CLIENT,
    RULES,
    dns_query,
    http_session,
)
from tests.support.sandbox import sandbox_prefix  # noqa: E402
from tests.support.session_pcap import write_sessions  # noqa: E402
from tests.support.users import system_user  # noqa: E402

from ids2.config.load import validate_document  # noqa: E402
from ids2.config.machine import Machine  # noqa: E402
from ids2.suricata.render import SuricataFacts, render_text  # noqa: E402

STOCK = Path("/etc/suricata/suricata.yaml")
BENCH_USER = "ids2-bench-runas"
# 11 packets each: 1.1 million packets are about 7 s of work offline against 0.5 s of
# start-up on a 2-core x86_64 machine, where 10,000 gave about 1 s, too close to start-up.
SESSIONS = int(os.environ.get("IDS2_BENCH_SESSIONS", "100000"))


def build_pcap(path: Path) -> int:
    """Many crafted HTTP sessions and DNS lookups on distinct flows; the packet count."""
    exchange = [bytes(packet) for packet in http_session() + dns_query()]
    return write_sessions(path, exchange, CLIENT, SESSIONS)


def rendered(directory: Path, interface: str = "lo", run_as: str | None = None) -> Path:
    """The rendered config, its EVE files and socket in `directory`, dropping to `run_as`."""
    document = {
        "sensor": {
            "interface": interface,
            "workers": 1,
            "unix_socket": str(directory / "rendered.socket"),
        },
        "ramdisk": {"mount_point": str(directory)},
    }
    machine = Machine(os.cpu_count() or 1, 8192, frozenset({interface}))
    path = directory / "rendered.yaml"
    facts = dataclasses.replace(SuricataFacts.of_this_machine(), run_as=run_as)
    path.write_text(render_text(validate_document(document, "bench", machine), facts))
    return path


def privileges(directory: Path, pcap: Path, packets: int, rules: Path, empty: Path) -> None:
    """Root, run-as and run-as in the drop-in's capability bounding set, in one run."""
    directory.chmod(0o755)  # for the dropped user to reach the pcap and its own directory
    with system_user(BENCH_USER) as user:
        dropped = directory / "run-as"
        dropped.mkdir(mode=0o755)
        shutil.chown(dropped, user.pw_name, user.pw_name)
        root = directory / "as-root"
        root.mkdir()
        sandbox = tuple(sandbox_prefix(user.pw_name))
        variants: dict[str, Variant] = {
            "root": (rendered(root), (), root),
            "run-as": (rendered(dropped, run_as=user.pw_name), (), dropped),
            "run-as + sandbox": (rendered(dropped, run_as=user.pw_name), sandbox, dropped),
        }
        print("privileges, offline: the same pcap and rules")
        compare(offline(variants, pcap, packets, rules, empty), "root")
        print("privileges, live: tcpreplay over a veth pair, one worker")
        live(
            {
                "root": (lambda interface: rendered(root, interface), (), root),
                "run-as": (
                    lambda interface: rendered(dropped, interface, user.pw_name),
                    (),
                    dropped,
                ),
                "run-as + sandbox": (
                    lambda interface: rendered(dropped, interface, user.pw_name),
                    sandbox,
                    dropped,
                ),
            },
            pcap,
            rules,
        )


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        pcap = directory / "bench.pcap"
        packets = build_pcap(pcap)
        rules = directory / "bench.rules"
        bundled = sorted(Path("/usr/share/suricata/rules").glob("*.rules"))
        rules.write_text(RULES + "".join(path.read_text() for path in bundled))
        print(f"offline: {packets} packets, {SESSIONS} HTTP sessions + DNS lookups, same rules")
        from scapy.utils import wrpcap

        empty = directory / "one.pcap"
        wrpcap(str(empty), dns_query())
        configs: dict[str, Variant] = {
            "stock": (STOCK, (), directory),
            "rendered": (rendered(directory), (), directory),
        }
        compare(offline(configs, pcap, packets, rules, empty), "stock")
        if os.geteuid() == 0:
            print("live: tcpreplay over a veth pair, one worker")
            live(
                {
                    "stock": (lambda interface: STOCK, (), directory),
                    "rendered": (lambda interface: rendered(directory, interface), (), directory),
                },
                pcap,
                rules,
            )
            privileges(directory, pcap, packets, rules, empty)
        else:
            print("live and privileges: skipped (need root: a network namespace, a user)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
