"""Suricata: suricata.yaml, rule updates and live reload, the command socket, its collector.

The names of the files Suricata writes live here, not in `render`, so that their readers
(the metrics exporter's alert counts) do not import the renderer: see the `ids2` package.
"""

# The two EVE streams on the RAM disk, each a new file every rotate interval: every event
# for Vector, and a copy of the alerts alone for local readers (`ids2 alerts --follow`).
EVE_STEM = "eve"
ALERTS_STEM = "alerts"
# pcap-log names each file of the ring PCAP_STEM.<epoch seconds of its first packet>[.lz4].
PCAP_STEM = "alerts.pcap"
