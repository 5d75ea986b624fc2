"""The Suricata files a deploy renders, written for a test sensor without their checks.

`ids2 rules update` reads suricata-update's filter files from the rendered directory, and
Suricata its threshold.config, as deploy phase B installs them; tests that are not about
those checks write them directly.
"""

from __future__ import annotations

from pathlib import Path

from ids2.config.load import Config
from ids2.suricata import render, tuning


def write_rendered(config: Config) -> Path:
    """suricata.yaml, threshold.config and the filter files in paths.rendered_dir; that
    directory."""
    directory = Path(config["paths"]["rendered_dir"])
    directory.mkdir(parents=True, exist_ok=True)
    for rendered in [*render.render(config), *tuning.render(config)]:
        (directory / rendered.name).write_text(rendered.content)
    return directory
