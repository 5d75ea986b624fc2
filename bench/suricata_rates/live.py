"""Live rates: tcpreplay over a veth pair at doubling rates until Suricata drops packets
or tcpreplay can go no faster (bench/suricata_bench.py, part 2)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.suricata.test_live_capture import wait_capturing
from tests.support.netns import VethNamespace, veth_namespace
from tests.support.suricata_console import error_lines
from tests.support.tcpreplay import Replayed, replayed

from suricata_rates.offline import clear_eve, suricata_command

# Live: doubling from 20k; tcpreplay's ceiling or Suricata's drops end the climb first.
RATES = [20_000 * 2**step for step in range(10)]
LIVE_SECONDS = 5  # per rate: the rendered ring (26k packets) cannot hide a slower Suricata


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
        suricata_command(
            prefix,
            config,
            rules,
            log_dir,
            f"--af-packet={interface}",
            "--set",
            f"unix-command.filename={socket_path}",
        ),
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
