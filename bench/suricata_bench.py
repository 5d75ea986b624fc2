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
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.suricata.test_crafted_pcaps import (  # noqa: E402
    CLIENT,
    RULES,
    dns_query,
    http_session,
)
from tests.integration.suricata.test_live_capture import wait_capturing  # noqa: E402
from tests.support.eve_counts import EveCounts, eve_counts  # noqa: E402
from tests.support.netns import VethNamespace, veth_namespace  # noqa: E402
from tests.support.offline_rate import Timings, Unmeasurable, packets_per_second  # noqa: E402
from tests.support.sandbox import sandbox_prefix  # noqa: E402
from tests.support.session_pcap import write_sessions  # noqa: E402
from tests.support.suricata_console import error_lines  # noqa: E402
from tests.support.tcpreplay import Replayed, replayed  # noqa: E402
from tests.support.users import system_user  # noqa: E402

from ids2.config.load import validate_document  # noqa: E402
from ids2.config.machine import Machine  # noqa: E402
from ids2.suricata.render import SuricataFacts, render_text  # noqa: E402

STOCK = Path("/etc/suricata/suricata.yaml")
BENCH_USER = "ids2-bench-runas"
# 11 packets each: 1.1 million packets are about 7 s of work offline against 0.5 s of
# start-up on a 2-core x86_64 machine, where 10,000 gave about 1 s, too close to start-up.
SESSIONS = int(os.environ.get("IDS2_BENCH_SESSIONS", "100000"))
# Live: doubling from 20k; tcpreplay's ceiling or Suricata's drops end the climb first.
RATES = [20_000 * 2**step for step in range(10)]
LIVE_SECONDS = 5  # per rate: the rendered ring (26k packets) cannot hide a slower Suricata


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


def clear_eve(log_dir: Path) -> None:
    """Remove a run's EVE files: stock's in `log_dir`, the rendered config's beside it (in
    the variant's directory). Gigabytes over a whole bench, and each run counts its own."""
    for old in [
        *log_dir.glob("eve*.json"),
        *log_dir.parent.glob("eve-*.json"),
        *log_dir.parent.glob("alerts.json.*"),
    ]:
        old.unlink()


def offline_run(
    config: Path, pcap: Path, rules: Path, log_dir: Path, prefix: tuple[str, ...] = ()
) -> tuple[float, EveCounts, list[str]]:
    """Seconds of one whole `suricata -r`, its EVE counts and its error lines."""
    clear_eve(log_dir)
    started = time.monotonic()
    result = subprocess.run(
        [
            *prefix,
            "suricata",
            "-c",
            str(config),
            "-r",
            str(pcap),
            "-S",
            str(rules),
            "-l",
            str(log_dir),
            "-k",
            "none",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    files = [*log_dir.glob("eve*.json"), *log_dir.parent.glob("eve-*.json")]
    counts = eve_counts(line for path in files for line in path.open())
    return elapsed, counts, error_lines(result.stdout + result.stderr)


Variant = tuple[Path, tuple[str, ...], Path]
"""A config, the command line's prefix and the directory it may write."""
Result = tuple[float | None, Counter[int]]
"""Packets per second (None: not measurable) and the alerts of a variant."""


def offline(
    variants: dict[str, Variant], pcap: Path, packets: int, rules: Path, empty: Path
) -> dict[str, Result]:
    """Packets per second (median of 3, start-up taken out) and the alerts of each variant."""
    results: dict[str, Result] = {}
    for name, (config, prefix, directory) in variants.items():
        # Root's, as /var/log/suricata: Suricata opens its log before it drops privileges.
        log_dir = directory / f"log-{name}"
        log_dir.mkdir()
        # Start-up (rule loading) is measured on a one-packet pcap and taken out.
        startups = [offline_run(config, empty, rules, log_dir, prefix)[0] for _ in range(3)]
        runs = [offline_run(config, pcap, rules, log_dir, prefix) for _ in range(3)]
        timings = Timings(startups, [elapsed for elapsed, _, _ in runs])
        decoded = [counts.decoded for _, counts, _ in runs]
        detail = (
            f"work {timings.work:.2f} s = {timings.work / timings.startup:.1f} x the "
            f"{timings.startup:.2f} s start-up (spread {timings.startup_spread:.2f} s); "
            f"the runs spread {timings.run_spread:.2f} s; "
            f"decoded {decoded[0] if len(set(decoded)) == 1 else decoded} of {packets}"
        )
        try:
            rate: float | None = packets_per_second(packets, decoded, timings)
            print(f"  {name:<16} {rate:>10.0f} packets/s ({detail})")
        except Unmeasurable as reason:
            rate = None
            print(f"  {name:<16} no rate: {reason} ({detail})")
        for line in dict.fromkeys(line for _, _, said in runs for line in said):
            print(f"  {name:<16} Suricata: {line}")
        results[name] = (rate, runs[0][1].alerts)
    return results


def compare(results: dict[str, Result], baseline: str) -> None:
    """Each variant's rate as a ratio of the baseline's, and whether it alerted the same."""
    base_rate, base_alerts = results[baseline]
    for name, (rate, alerts) in results.items():
        if name != baseline:
            ratio = f"{rate / base_rate:.2f}x" if rate and base_rate else "no ratio (no rate)"
            print(
                f"  {name} / {baseline}: {ratio}; same alerts: "
                f"{alerts == base_alerts} ({sum(alerts.values())} alerts, sids {sorted(alerts)})"
            )


def live_step(
    config: Path,
    namespace: VethNamespace,
    socket_path: Path,
    pcap: Path,
    rate: int,
    rules: Path,
    directory: Path,
    prefix: tuple[str, ...] = (),
) -> tuple[Replayed, int, int, list[str]]:
    """Suricata on the veth while tcpreplay sends LIVE_SECONDS of `rate` packets/s into it:
    what tcpreplay sent, the packets Suricata captured, its kernel drops, its error lines."""
    interface = namespace.host_interface
    # Root's, as /var/log/suricata: Suricata checks it is writable before it drops privileges.
    log_dir = directory / f"log-live-{socket_path.stem}"
    log_dir.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            *prefix,
            "suricata",
            "-c",
            str(config),
            f"--af-packet={interface}",
            "-S",
            str(rules),
            "-l",
            str(log_dir),
            "--set",
            f"unix-command.filename={socket_path}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_capturing(namespace, socket_path, process, 60)
        replay = namespace.run(
            "tcpreplay",
            "-q",
            f"--pps={rate}",
            # Several packets per timer tick: one each cannot go past ~390k/s here.
            f"--pps-multi={max(rate // 40_000, 1)}",
            "--loop=0",
            f"--limit={rate * LIVE_SECONDS}",
            "--preload-pcap",
            "-i",
            namespace.namespace.replace("ids2t-", "ids2p"),
            str(pcap),
            timeout=LIVE_SECONDS * 10 + 60,
        )
        if replay.returncode != 0:
            raise RuntimeError(f"tcpreplay failed: {replay.stdout}{replay.stderr}")
        time.sleep(2)
        from ids2.suricata.socket import SuricataSocket

        with SuricataSocket(socket_path) as control:
            counters = control.command("iface-stat", iface=interface)
    finally:
        process.terminate()
        _, said = process.communicate(timeout=30)
        clear_eve(log_dir)
    return replayed(replay.stdout), int(counters["pkts"]), int(counters["drop"]), error_lines(said)


def live(
    variants: dict[str, tuple[Callable[[str], Path], tuple[str, ...], Path]],
    pcap: Path,
    rules: Path,
) -> None:
    """The highest rate each variant (its config rendered for the veth) takes without
    kernel drops, and whether Suricata's drops or tcpreplay's own ceiling ended the climb."""
    with veth_namespace() as namespace:
        for name, (config_for, prefix, directory) in variants.items():
            config = config_for(namespace.host_interface)
            best = 0.0
            said: dict[str, None] = {}
            for rate in RATES:
                # Drops count only when a second replay at the rate drops too: on a shared
                # machine, one replay can lose packets to a passing load.
                for _ in range(2):
                    sent, captured, drops, lines = live_step(
                        config,
                        namespace,
                        directory / f"{name}.socket",
                        pcap,
                        rate,
                        rules,
                        directory,
                        prefix,
                    )
                    said.update(dict.fromkeys(lines))
                    failed = f", {sent.failed} failed to send" if sent.failed else ""
                    print(
                        f"  {name:<16} asked {rate:>9} packets/s: tcpreplay sent {sent.packets} "
                        f"at {sent.rate:.0f}/s{failed}; Suricata captured {captured}, "
                        f"{drops} kernel drops"
                    )
                    if not drops:
                        break
                if drops:
                    verdict = (
                        f"{best:.0f} packets/s; drops at {sent.rate:.0f}/s: Suricata's limit"
                        if best
                        else f"none: drops from the lowest rate ({sent.rate:.0f}/s)"
                    )
                    break
                if not sent.reached(rate):
                    verdict = (
                        f"{sent.rate:.0f} packets/s, tcpreplay's ceiling (asked {rate}): "
                        "Suricata's limit is not below it"
                    )
                    break
                best = sent.rate
            else:
                verdict = f"{best:.0f} packets/s, the highest rate tried"
            print(f"  {name:<16} highest rate with 0 kernel drops: {verdict}")
            for line in said:
                print(f"  {name:<16} Suricata: {line}")


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
