"""The names of Suricata's files on the RAM disk, for the renderer that sets them and for
everyone who reads them.

Two streams, each starting a new file every `ramdisk.rotate_interval_seconds`: every
event in eve-<time>.json, which Vector ships, and the alerts alone in
alerts.json.<epoch seconds>, read on the sensor (`ids2 alerts --follow`, the detection
metrics, EveBox). The alerts stream is named as EveBox reads a spool (NAME.<ten-digit epoch>):
it reads those files in order as one stream and closes each once it moves to the next, so
the RAM disk gets a file's space back when the resource controller deletes it. Ten digits
also sort by name in time order.

Suricata writes them as SURICATA_USER, the user it drops to once its capture is open; the
RAM disk belongs to that user (and to the ids2 group, whose controllers delete and add files).
"""

from __future__ import annotations

import pwd

SURICATA_USER = "suricata"

# strftime patterns, which Suricata expands when it opens each file.
EVE_FILENAME = "eve-%Y%m%dT%H%M%S.json"
ALERTS_FILENAME = "alerts.json.%s"
# The globs that find them.
EVE_GLOB = "eve-*.json"
ALERTS_GLOB = "alerts.json.[0-9]*"


def suricata_uid() -> int | None:
    """SURICATA_USER's uid where that user exists (the package makes it), else None."""
    try:
        return pwd.getpwnam(SURICATA_USER).pw_uid
    except KeyError:
        return None
