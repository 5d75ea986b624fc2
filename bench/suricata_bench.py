"""The rendered suricata.yaml against Debian's stock one: speed and detections.

1. Offline: the same pcap and the same rules through `suricata -r` with each config,
   three runs each; packets per second (median) and the ratio, and the alerts compared.
2. Live: the pcap replayed with tcpreplay over a veth pair at rising rates; the highest
   rate each config takes with no kernel drops.
Goal: the rendered config at least as fast as stock, with the same detections.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.suricata.test_crafted_pcaps import RULES, dns_query, http_session  # noqa: E402
from tests.integration.suricata.test_live_capture import wait_capturing  # noqa: E402
from tests.support.netns import veth_namespace  # noqa: E402

from ids2.config.load import validate_document  # noqa: E402
from ids2.config.machine import Machine  # noqa: E402
from ids2.suricata.render import SuricataFacts, render_text  # noqa: E402

STOCK = Path("/etc/suricata/suricata.yaml")
SESSIONS = int(os.environ.get("IDS2_BENCH_SESSIONS", "10000"))
RATES = [20_000, 40_000, 80_000, 160_000, 320_000, 640_000]


def build_pcap(path: Path) -> int:
    """Many crafted HTTP sessions and DNS lookups on distinct flows."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.utils import PcapWriter
    from tests.integration.suricata.test_crafted_pcaps import CLIENT

    writer = PcapWriter(str(path), sync=False)
    count = 0
    for session in range(SESSIONS):
        client = f"192.168.{session // 250 % 250}.{session % 250 + 1}"
        port = 20000 + session % 40000
        for packet in http_session() + dns_query():
            layer = packet[TCP] if TCP in packet else packet[UDP]
            if packet[IP].src == CLIENT:
                packet[IP].src, layer.sport = client, port
            else:
                packet[IP].dst, layer.dport = client, port
            packet.time = 1_700_000_000 + count * 0.0001
            writer.write(packet)
            count += 1
    writer.close()
    return count


def rendered(directory: Path, interface: str = "lo") -> Path:
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
    path.write_text(
        render_text(validate_document(document, "bench", machine), SuricataFacts.of_this_machine())
    )
    return path


def offline_run(config: Path, pcap: Path, rules: Path, log_dir: Path) -> tuple[float, Counter[int]]:
    for old in [*log_dir.glob("eve*.json"), *config.parent.glob("eve-*.json")]:
        old.unlink()
    started = time.monotonic()
    subprocess.run(
        [
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
    )
    elapsed = time.monotonic() - started
    alerts: Counter[int] = Counter()
    for path in [*log_dir.glob("eve*.json"), *config.parent.glob("eve-*.json")]:
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event.get("event_type") == "alert":
                alerts[event["alert"]["signature_id"]] += 1
    return elapsed, alerts


def offline(directory: Path, pcap: Path, packets: int, rules: Path, empty: Path) -> None:
    results = {}
    for name, config in (("stock", STOCK), ("rendered", rendered(directory))):
        log_dir = directory / f"log-{name}"
        log_dir.mkdir()
        # Start-up (rule loading) is measured on a one-packet pcap and taken out.
        startup = statistics.median(offline_run(config, empty, rules, log_dir)[0] for _ in range(3))
        runs = [offline_run(config, pcap, rules, log_dir) for _ in range(3)]
        seconds = statistics.median(elapsed for elapsed, _ in runs) - startup
        results[name] = (packets / seconds, runs[0][1])
        print(
            f"  {name:<9} {packets / seconds:>10.0f} packets/s (median of 3: {seconds:.2f} s "
            f"after {startup:.2f} s start-up)"
        )
    ratio = results["rendered"][0] / results["stock"][0]
    same = results["rendered"][1] == results["stock"][1]
    print(
        f"  rendered / stock: {ratio:.2f}x; same alerts: {same} "
        f"({sum(results['rendered'][1].values())} alerts, sids {sorted(results['rendered'][1])})"
    )


def live_drops(
    config: Path,
    interface: str,
    socket_path: Path,
    namespace: object,
    pcap: Path,
    rate: int,
    rules: Path,
    directory: Path,
) -> int:
    process = subprocess.Popen(
        [
            "suricata",
            "-c",
            str(config),
            f"--af-packet={interface}",
            "-S",
            str(rules),
            "-l",
            str(directory),
            "--set",
            f"unix-command.filename={socket_path}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_capturing(namespace, socket_path, process, 60)  # type: ignore[arg-type]
        namespace.run(
            "tcpreplay",
            "-q",
            f"--pps={rate}",
            "-i",  # type: ignore[attr-defined]
            namespace.namespace.replace("ids2t-", "ids2p"),
            str(pcap),
            timeout=600,
        )
        time.sleep(2)
        from ids2.suricata.socket import SuricataSocket

        with SuricataSocket(socket_path) as control:
            return int(control.command("iface-stat", iface=interface)["drop"])
    finally:
        process.terminate()
        process.wait(timeout=30)


def live(directory: Path, pcap: Path, rules: Path) -> None:
    with veth_namespace() as namespace:
        interface = namespace.host_interface
        configs = {"stock": STOCK, "rendered": rendered(directory, interface)}
        for name, config in configs.items():
            best = 0
            for rate in RATES:
                drops = live_drops(
                    config,
                    interface,
                    directory / f"{name}.socket",
                    namespace,
                    pcap,
                    rate,
                    rules,
                    directory,
                )
                print(f"  {name:<9} {rate:>7} packets/s: {drops} kernel drops")
                if drops:
                    break
                best = rate
            print(
                f"  {name:<9} highest rate with 0 kernel drops: {best or 'below ' + str(RATES[0])}"
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
        offline(directory, pcap, packets, rules, empty)
        if os.geteuid() == 0:
            print("live: tcpreplay over a veth pair, one worker")
            live(directory, pcap, rules)
        else:
            print("live: skipped (needs root for the network namespace)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
