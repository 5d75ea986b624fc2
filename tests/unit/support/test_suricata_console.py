"""Suricata's error lines picked out of its console output."""

from __future__ import annotations

from tests.support.suricata_console import error_lines

OUTPUT = """\
i: suricata: This is Suricata version 7.0.10 RELEASE running in USER mode
W: threshold-config: Error opening file: "/var/lib/ids2/rendered/threshold.config"
E: threads: Error setting nice value -2 for thread W#01: Operation not permitted
i: pcap: read 1 file, 3300 packets, 221400 bytes
E: threads: Error setting nice value -2 for thread W#01: Operation not permitted
E: threads: Error setting nice value -2 for thread W#02: Operation not permitted
"""


def test_each_error_line_once_in_order() -> None:
    assert error_lines(OUTPUT) == [
        "E: threads: Error setting nice value -2 for thread W#01: Operation not permitted",
        "E: threads: Error setting nice value -2 for thread W#02: Operation not permitted",
    ]
