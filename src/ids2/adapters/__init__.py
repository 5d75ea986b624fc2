"""Adapters to the world outside the agent: systemd, Suricata, OpenSearch, AWS, Docker."""
