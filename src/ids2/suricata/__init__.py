"""Suricata: suricata.yaml, rule updates and live reload, the command socket, its collector.

The name of the pcap-log ring's files lives here, not in `render`, so that its readers
(`ids2 alerts pcap`) do not import the renderer: see the `ids2` package. The EVE files'
names are in `ids2.common.eve_files`.
"""

# pcap-log names each file of the ring PCAP_STEM.<epoch seconds of its first packet>[.lz4].
PCAP_STEM = "alerts.pcap"
