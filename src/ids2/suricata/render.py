"""suricata.yaml for Suricata 7 from the config: af-packet capture, EVE on the RAM disk.

A pure function of the config and a few facts about the machine and the installed binary
(cores, Hyperscan), so tests render for a 4-core Pi on any machine. Every rendered file is
checked with `suricata -T` before it may replace the running one.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ids2.common.apply import as_applied
from ids2.common.eve_files import ALERTS_FILENAME, EVE_FILENAME, SURICATA_USER, suricata_uid
from ids2.common.rendered import RenderedFile, ValidationError, tool_missing_note
from ids2.common.sizes import MIB
from ids2.config.load import Config
from ids2.suricata import PCAP_STEM

RULES_DIR = "/var/lib/suricata/rules"
THRESHOLD_FILE = "threshold.config"
PLACEHOLDER_RULE = 'pass ip any any -> any any (msg:"ids2 config check"; sid:1; rev:1;)\n'
"""What `suricata -T` loads before the first rule update (test mode only, never installed)."""
# Shares of the memory budget; they add up to 1.
MEMCAP_SHARES = {
    "flow": 0.20,
    "stream": 0.15,
    "reassembly": 0.35,
    "defrag": 0.05,
    "host": 0.05,
    "ippair": 0.05,
    "http": 0.10,
    "ftp": 0.05,
}


@dataclass(frozen=True)
class SuricataFacts:
    """What the rendered config depends on besides the config file."""

    cpu_count: int
    hyperscan: bool
    hostname: str  # the sensor's name when sensor.name is ''
    # The user (and group) to drop to: SURICATA_USER where it exists (the package makes it
    # before it renders); Suricata refuses to start with a run-as user the machine lacks,
    # so a development machine without it keeps running Suricata as root (None).
    run_as: str | None = None

    @classmethod
    def of_this_machine(cls) -> SuricataFacts:
        run_as = SURICATA_USER if suricata_uid() is not None else None
        return cls(os.cpu_count() or 1, hyperscan_available(), socket.gethostname(), run_as)


@functools.cache
def hyperscan_available() -> bool:
    """Whether the installed Suricata was built with Hyperscan (x86 only)."""
    binary = shutil.which("suricata")
    if binary is None:
        return False
    info = subprocess.run(
        [binary, "--build-info"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    return re.search(r"Hyperscan support:\s+yes", info) is not None


def cpu_sets(
    workers: int, cpu_count: int, management: list[int], worker: list[int]
) -> tuple[list[int], list[int]]:
    """Management and worker cores: configured ones, else 0-1 and the rest on 4+ cores."""
    if not management:
        management = [0, 1] if cpu_count >= 4 else list(range(cpu_count))
    if not worker:
        rest = [core for core in range(cpu_count) if core not in management]
        worker = rest[: max(workers, 1)] if cpu_count >= 4 and rest else list(range(cpu_count))
    return management, worker


def ring_sizes(budget_mb: int, workers: int) -> tuple[int, int]:
    """(ring-size in packets per worker, block-size in bytes) for tpacket-v3.

    The rings live outside the memcaps; about a tenth of the budget goes to them, split
    between workers, in blocks of 1 MiB (capped so a 4 GiB budget stays sane).
    """
    block_size = MIB
    ring_bytes = budget_mb * MIB // 10 // max(workers, 1)
    return max(min(ring_bytes // 2048, 1 << 16), 2048), block_size


def _memcaps(budget_mb: int) -> dict[str, str]:
    return {name: f"{max(int(budget_mb * share), 1)}mb" for name, share in MEMCAP_SHARES.items()}


def _eve_log(config: Config, filename: str, types: list[Any]) -> dict[str, Any]:
    ramdisk = config["ramdisk"]
    return {
        "eve-log": {
            "enabled": True,
            "filetype": "regular",
            "filename": f"{ramdisk['mount_point']}/{filename}",
            "rotate-interval": f"{ramdisk['rotate_interval_seconds']}s",
            "community-id": True,
            "types": types,
        }
    }


def _eve(config: Config) -> dict[str, Any]:
    """Every event type; Vector ships these files and deletes each once fully read."""
    types: list[Any] = [
        {
            "alert": {
                "payload-printable": True,
                "packet": False,
                "metadata": True,
                "http-body-printable": True,
                "tagged-packets": True,
            }
        },
        # Decoder, stream and app-layer anomalies are off by default; we want them.
        {"anomaly": {"enabled": True, "types": {"decode": True, "stream": True, "applayer": True}}},
        {"http": {"extended": True}},
        {"dns": {"version": 2, "formats": ["detailed", "grouped"]}},
        {"tls": {"extended": True}},
        "ssh",
        {"files": {"force-magic": False}},  # event_type fileinfo
        {"dhcp": {"extended": True}},
        "smb",
        "ftp",
        {"smtp": {"extended": True}},
        "flow",
        {"stats": {"totals": True, "threads": False, "deltas": False}},
    ]
    return _eve_log(config, EVE_FILENAME, types)


def _alerts(config: Config) -> dict[str, Any]:
    """Alerts alone, with what triage needs that would bloat every shipped event: the
    payload and the packet as base64. Not shipped (eve has the same alerts); the RAM-disk
    guard deletes these files. No tagged packets: they are events of type packet."""
    alert = {
        "payload": True,
        "payload-printable": True,
        "packet": True,
        "metadata": True,
        "http-body": True,
        "http-body-printable": True,
        "tagged-packets": False,
    }
    return _eve_log(config, ALERTS_FILENAME, [{"alert": alert}])


def _pcap_log(config: Config) -> dict[str, Any]:
    """The packets of alerted flows in a ring of max-files files of `limit` bytes each.

    Conditional mode writes only packets of flows that have alerted, from the first alert
    on, so the ring holds days of alerts rather than minutes of all traffic. Suricata reads
    a bare number as bytes, hence the unit on the limit.
    """
    pcap = config["sensor"]["pcap"]
    return {
        "pcap-log": {
            "enabled": True,
            "filename": PCAP_STEM,
            "dir": pcap["directory"],
            "mode": "normal",
            "conditional": "alerts",
            "limit": f"{pcap['file_size_mb']}mb",
            "max-files": pcap["max_files"],
            "compression": pcap["compression"],
            "use-stream-depth": False,
            "honor-pass-rules": False,
        }
    }


def suricata_config(config: Config, facts: SuricataFacts) -> dict[str, Any]:
    """The whole configuration as data."""
    sensor = config["sensor"]
    management, worker = cpu_sets(
        sensor["workers"], facts.cpu_count, sensor["management_cores"], sensor["worker_cores"]
    )
    ring_size, block_size = ring_sizes(sensor["memory_budget_mb"], sensor["workers"])
    caps = _memcaps(sensor["memory_budget_mb"])
    capture: dict[str, Any] = {
        "interface": sensor["interface"],
        "threads": sensor["workers"],
        "cluster-id": 99,
        "cluster-type": "cluster_flow",
        "defrag": True,
        "use-mmap": True,
        "tpacket-v3": True,
        "ring-size": ring_size,
        "block-size": block_size,
    }
    if sensor["bpf_filter"]:
        capture["bpf-filter"] = sensor["bpf_filter"]
    home = "[" + ",".join(sensor["home_networks"]) + "]"
    # Dropped after the capture is set up, keeping only what af-packet needs (libcap-ng):
    # what parses hostile traffic then runs as an unprivileged user.
    run_as = {"run-as": {"user": facts.run_as, "group": facts.run_as}} if facts.run_as else {}
    return {
        **run_as,
        "vars": {
            "address-groups": {
                "HOME_NET": home,
                "EXTERNAL_NET": "!$HOME_NET",
                **{
                    name: "$HOME_NET"
                    for name in (
                        "HTTP_SERVERS",
                        "SMTP_SERVERS",
                        "SQL_SERVERS",
                        "DNS_SERVERS",
                        "TELNET_SERVERS",
                        "DC_SERVERS",
                        "DNP3_SERVER",
                        "DNP3_CLIENT",
                        "MODBUS_CLIENT",
                        "MODBUS_SERVER",
                        "ENIP_CLIENT",
                        "ENIP_SERVER",
                    )
                },
                "AIM_SERVERS": "$EXTERNAL_NET",
            },
            "port-groups": {
                "HTTP_PORTS": "80",
                "SHELLCODE_PORTS": "!80",
                "ORACLE_PORTS": "1521",
                "SSH_PORTS": "22",
                "DNP3_PORTS": "20000",
                "MODBUS_PORTS": "502",
                "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
                "FTP_PORTS": "21",
                "GENEVE_PORTS": "6081",
                "VXLAN_PORTS": "4789",
                "TEREDO_PORTS": "3544",
            },
        },
        # EVE's "host" in every event: observer.name and observer.hostname downstream.
        "sensor-name": sensor["name"] or facts.hostname,
        "default-log-dir": "/var/log/suricata",
        "stats": {"enabled": True, "interval": 30, "decoder-events": True},
        "outputs": [
            _eve(config),
            _alerts(config),
            *([_pcap_log(config)] if sensor["pcap"]["enabled"] else []),
        ],
        "logging": {
            "default-log-level": "notice",
            "outputs": [
                {"console": {"enabled": True}},
                {"file": {"enabled": True, "level": "info", "filename": "suricata.log"}},
            ],
        },
        "af-packet": [capture, {"interface": "default"}],
        "unix-command": {"enabled": True, "filename": sensor["unix_socket"]},
        "app-layer": {
            "protocols": {
                "http": {"enabled": True, "memcap": caps["http"]},
                "ftp": {"enabled": True, "memcap": caps["ftp"]},
                "tls": {
                    "enabled": True,
                    "detection-ports": {"dp": 443},
                    "ja3-fingerprints": True,
                    "ja4-fingerprints": True,
                },
                "dns": {"tcp": {"enabled": True}, "udp": {"enabled": True}},
                "ssh": {"enabled": True, "hassh": True},
                "smtp": {
                    "enabled": True,
                    "raw-extraction": False,
                    "mime": {
                        "decode-mime": True,
                        "decode-base64": True,
                        "decode-quoted-printable": True,
                        "header-value-depth": 2000,
                        "extract-urls": True,
                        "body-md5": False,
                    },
                },
                "smb": {"enabled": True},
                "dhcp": {"enabled": True},
            }
        },
        "flow": {
            "memcap": caps["flow"],
            "hash-size": 65536,
            "prealloc": 10000,
            "emergency-recovery": 30,
        },
        "stream": {
            "memcap": caps["stream"],
            "checksum-validation": False,
            "reassembly": {"memcap": caps["reassembly"], "depth": "1mb"},
        },
        "defrag": {"memcap": caps["defrag"]},
        "host": {"memcap": caps["host"]},
        "ippair": {"memcap": caps["ippair"]},
        "decoder": {"teredo": {"enabled": True}, "vxlan": {"enabled": True}},
        "detect": {
            "profile": "medium",
            "sgh-mpm-context": "auto",
            "inspection-recursion-limit": 3000,
        },
        "mpm-algo": "hs" if facts.hyperscan else "ac-ks",
        "spm-algo": "hs" if facts.hyperscan else "bm",
        "threading": {
            "set-cpu-affinity": True,
            "cpu-affinity": [
                {"management-cpu-set": {"cpu": management}},
                {
                    "worker-cpu-set": {
                        "cpu": worker,
                        "mode": "exclusive",
                        "prio": {"default": "high"},
                    }
                },
            ],
            "detect-thread-ratio": 1.0,
        },
        "default-rule-path": RULES_DIR,
        "rule-files": ["suricata.rules"],
        "classification-file": "/etc/suricata/classification.config",
        "reference-config-file": "/etc/suricata/reference.config",
        # Suppressions and thresholds (sensor.rules.suppress, .threshold), rendered beside it.
        "threshold-file": f"{config['paths']['rendered_dir']}/{THRESHOLD_FILE}",
    }


def render_text(config: Config, facts: SuricataFacts) -> str:
    """The YAML text Suricata reads (it requires the %YAML 1.1 header)."""
    body = yaml.safe_dump(suricata_config(config, facts), sort_keys=False, width=100)
    return (
        "%YAML 1.1\n---\n# Rendered by ids2 from /etc/ids2/config.yaml; "
        "edit that file, not this one.\n" + body
    )


def outputs_moved_to(text: str, directory: str, threshold_file: Path | None = None) -> str:
    """The config with every output file in `directory`, for `suricata -T`, reading
    `threshold_file` when given, and without `run-as`.

    -T opens the output files: tested in place, each check would leave an empty EVE file
    on the RAM disk, where Vector and the high-water guard would take it for real output,
    and pcap-log's ring would have to exist before the package or deploy has made it.
    -T also drops privileges as the running Suricata does, which the rule timer (root
    without capabilities) cannot, and the scratch directory is root's alone.
    """
    document = yaml.safe_load(text)
    document.pop("run-as", None)
    for output in document.get("outputs") or []:
        for settings in output.values():
            if isinstance(settings, dict) and "filename" in settings:
                settings["filename"] = f"{directory}/{Path(settings['filename']).name}"
            if isinstance(settings, dict) and "dir" in settings:
                settings["dir"] = directory
    if threshold_file is not None:
        document["threshold-file"] = str(threshold_file)
    return "%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False)


def check_with_suricata(
    path: Path, rules_dir: Path = Path(RULES_DIR), threshold_file: Path | None = None
) -> str:
    """`suricata -T -c FILE`: the config, with the installed ruleset when there is one.

    Before the first rule update there is no ruleset; the config is tested then with one
    placeholder rule, so a fresh sensor can start capturing and logging flows at once.
    Not with none: Suricata reads threshold.config only once it has loaded a signature.
    The suppressions and thresholds tested are `threshold_file`, else the threshold.config
    beside FILE as it will be applied (a candidate of the same batch first).
    """
    missing = tool_missing_note("suricata")
    if missing:
        return missing
    ruleset = rules_dir / "suricata.rules"
    if threshold_file is None and as_applied(path, THRESHOLD_FILE).exists():
        threshold_file = as_applied(path, THRESHOLD_FILE)
    with tempfile.TemporaryDirectory(prefix="ids2-suricata-test-") as scratch:
        tested = Path(scratch) / "suricata.yaml"
        text = path.read_text(encoding="utf-8")
        tested.write_text(outputs_moved_to(text, scratch, threshold_file))
        rules = ruleset if ruleset.exists() else Path(scratch) / "placeholder.rules"
        if not ruleset.exists():
            rules.write_text(PLACEHOLDER_RULE)
        command = ["suricata", "-T", "-c", str(tested), "-l", scratch, "-S", str(rules)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        lines = [line for line in output if line.startswith("E:") or "rror" in line]
        lines = lines or output[-5:]
        raise ValidationError("suricata -T refused it:\n" + "\n".join(lines[-10:]))
    return "suricata -T: ok" if ruleset.exists() else "suricata -T: ok (no ruleset installed yet)"


VALIDATORS = {"suricata.yaml": check_with_suricata}


def render(config: Config) -> list[RenderedFile]:
    """suricata.yaml, checked by suricata -T."""
    text = render_text(config, SuricataFacts.of_this_machine())
    return [RenderedFile("suricata.yaml", text, VALIDATORS["suricata.yaml"])]
