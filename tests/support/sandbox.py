"""What of suricata.service's drop-in can be applied without systemd as PID 1: its
capability bounding set and no_new_privs (through setpriv), its group and its umask. Not its
mount namespaces (ProtectSystem=, PrivateTmp=, ...) nor its seccomp filter."""

from __future__ import annotations

import re
from pathlib import Path

DROPIN = Path(__file__).resolve().parents[2] / "systemd/suricata.service.d/ids2.conf"


def _setting(name: str) -> str:
    """The value of the drop-in's last `name=` line."""
    values = re.findall(rf"^{name}=(.*)$", DROPIN.read_text(), re.MULTILINE)
    assert values, f"{DROPIN}: no {name}="
    return str(values[-1]).strip()


def sandbox_prefix(group: str) -> list[str]:
    """setpriv with the drop-in's CapabilityBoundingSet= and NoNewPrivileges=, in `group`
    (the drop-in's Group=, which a test replaces with a group of its own)."""
    capabilities = [
        name.lower().removeprefix("cap_") for name in _setting("CapabilityBoundingSet").split()
    ]
    assert _setting("NoNewPrivileges") == "yes"
    return [
        "setpriv",
        "--bounding-set=-all," + ",".join(f"+{name}" for name in capabilities),
        "--no-new-privs",
        f"--regid={group}",
        "--clear-groups",
    ]


def sandbox_umask() -> int:
    """The drop-in's UMask=."""
    return int(_setting("UMask"), 8)
