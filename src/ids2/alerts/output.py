"""What `ids2 alerts` prints: one line per alert, the stored document, or the summary."""

from __future__ import annotations

import json
from typing import Any

from ids2.alerts.alert import Alert
from ids2.alerts.summary import Summary

NO_ALERTS = "no alerts"


def endpoint(ip: str, port: int | None) -> str:
    """ip:port, with brackets around an IPv6 address so the port stays readable."""
    host = f"[{ip}]" if ":" in ip else ip or "-"
    return host if port is None else f"{host}:{port}"


def text_line(alert: Alert) -> str:
    """Time, severity, sid, signature, src -> dst, protocol and sensor on one line."""
    stamp = alert.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return (
        f"{stamp}  sev {alert.severity if alert.severity is not None else '-'}  "
        f"sid {alert.sid or '-'}  {alert.signature or '-'}  "
        f"{endpoint(alert.source_ip, alert.source_port)} -> "
        f"{endpoint(alert.destination_ip, alert.destination_port)}  "
        f"{alert.protocol or '-'}  {alert.sensor or '-'}"
    )


def json_line(alert: Alert) -> str:
    """The document as the source holds it, on one line."""
    return json.dumps(alert.document, separators=(",", ":"), ensure_ascii=False)


def summary_text(summary: Summary) -> str:
    """The summary as a few short tables."""
    data: dict[str, Any] = summary.as_dict()
    if not data["total"]:
        return NO_ALERTS
    lines = [f"{data['total']} alert(s)", "by severity:"]
    lines += [f"  {severity:>4}  {count}" for severity, count in data["severity"].items()]
    lines.append("top signatures:")
    lines += [f"  {row['count']:>8}  {row['sid']:>10}  {row['name']}" for row in data["signatures"]]
    for key, title in (("sources", "top sources:"), ("destinations", "top destinations:")):
        lines.append(title)
        lines += [f"  {row['count']:>8}  {row['ip']}" for row in data[key]]
    return "\n".join(lines)
