"""Suricata offline: `suricata -r FILE` with the rendered config, for `ids2 import-pcap`.

The run detects as the live sensor does (the same suricata.yaml: address groups,
app-layer and detection settings, the installed rules) and changes only what would
collide with the live Suricata or does not fit a capture file:

- EVE alone, into a scratch directory: on the RAM disk, Vector would ship the untagged
  events and the high-water guard count them; no alerts copy, no pcap-log (that ring
  holds the live sensor's flows) and no command socket (the live one has its path).
- one thread (`--runmode single`), no CPU affinity (the live workers own their cores)
  and a low priority (nice 10), so capture keeps the cores it has.
- checksums not checked (`-k none` and the file reader's `checksum-checks: no`): a
  capture taken on a host holds the wrong checksums its network card was left to fill in,
  and Suricata would raise "invalid checksum" alerts for them.
- `stream.midstream`: a capture often starts inside a session (the flows `ids2 alerts
  pcap` cuts from the ring start at their first alert).

Suricata's `stats` events describe the run, stamped with the wall clock, not the capture:
they are left out. A file that is not a pcap is refused before Suricata sees it, since
Suricata spins for a minute on one before it gives up.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ids2.common.eve_files import EVE_FILENAME
from ids2.errors import Ids2Error
from ids2.suricata.render import RULES_DIR
from ids2.suricata.rules import RULES_FILE

EVE_FILE = "eve.json"
INSTALLED_RULES = Path(RULES_DIR) / RULES_FILE
# pcap with microsecond or nanosecond times, in either byte order, and pcapng.
PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)
OPTIONS = [
    *("--runmode", "single", "-k", "none"),
    *("--set", "pcap-file.checksum-checks=no"),  # -k none alone leaves the file reader's on
    *("--set", "stream.midstream=true"),
]
NICE = ["nice", "-n", "10"]
RUN_EVENTS_LEFT_OUT = {"stats"}
TIMEOUT_SECONDS = 3600


class PcapError(Ids2Error):
    """A capture file (or what every import needs) cannot be used; the message names it."""

    exit_status = 2


def check_pcap(path: Path) -> None:
    """Raise PcapError unless `path` is a readable pcap or pcapng file."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise PcapError(f"{path}: cannot read it: {error.strerror}") from None
    if magic not in PCAP_MAGICS:
        found = f"it starts with {magic!r}" if magic else "it is empty"
        raise PcapError(f"{path}: not a pcap or pcapng file ({found})")


def offline_config(text: str, directory: Path) -> str:
    """The rendered suricata.yaml `text` changed for a run that writes into `directory`."""
    document = yaml.safe_load(text)
    eve = next(
        output["eve-log"]
        for output in document.get("outputs") or []
        if Path(str((output.get("eve-log") or {}).get("filename", ""))).name == EVE_FILENAME
    )
    eve = {key: value for key, value in eve.items() if key != "rotate-interval"}
    document["outputs"] = [{"eve-log": {**eve, "filename": str(directory / EVE_FILE)}}]
    document["default-log-dir"] = str(directory)
    document["unix-command"] = {"enabled": False}
    document.pop("run-as", None)  # the run writes into the caller's own directory
    document.setdefault("threading", {})["set-cpu-affinity"] = False
    return "%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False)


def run_offline(pcap: Path, suricata_yaml: Path, rules: Path, scratch: Path) -> Path:
    """Run Suricata on `pcap` with `rules`; the EVE file it wrote (read it with `events`).

    `scratch` is an empty directory that the run may fill. Raises PcapError naming the
    file when it is not a readable capture or Suricata fails on it.
    """
    check_pcap(pcap)
    try:
        text = suricata_yaml.read_text(encoding="utf-8")
    except OSError as error:
        raise PcapError(f"cannot read {suricata_yaml}: {error.strerror}") from None
    config = scratch / "suricata.yaml"
    config.write_text(offline_config(text, scratch), encoding="utf-8")
    command = [*NICE, "suricata", "-c", str(config), "-r", str(pcap), "-S", str(rules)]
    command += ["-l", str(scratch), *OPTIONS]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        errors = [line for line in output if line.startswith(("E:", "Error"))] or output[-1:]
        raise PcapError(f"{pcap}: Suricata failed ({result.returncode}): {' / '.join(errors[:3])}")
    eve = scratch / EVE_FILE
    eve.touch()  # a capture without a single event still leaves an (empty) EVE file
    return eve


def events(eve: Path) -> Iterator[dict[str, Any]]:
    """The events of an EVE file in order, the run's `stats` left out."""
    with eve.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                event = json.loads(line)
                if event.get("event_type") not in RUN_EVENTS_LEFT_OUT:
                    yield event
