"""Suricata: suricata.yaml, rule updates and live reload, the command socket, its collector."""
