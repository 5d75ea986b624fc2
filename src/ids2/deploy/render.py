"""Every generated file for a configuration, from each stage's renderer in apply order.

Each renderer module exposes `render(config) -> list[RenderedFile]` and `VALIDATORS`, the
validator of each file it renders by name.
"""

from __future__ import annotations

import importlib

from ids2.common.rendered import RenderedFile, Validator
from ids2.config.load import Config

RENDERER_MODULES: list[str] = [
    "ids2.suricata.render",
    "ids2.suricata.tuning",
    "ids2.shipping.vector",
    "ids2.stack.prometheus",
    "ids2.stack.render",
    "ids2.notify.render",
    "ids2.system.render",
]
"""The renderers, in the order their files are rendered and applied."""


def validator_for(name: str) -> Validator | None:
    """The validator of the rendered file `name`, for a copy that comes from elsewhere (a
    rollback takes its files from the history); None for files that have none."""
    for module_name in RENDERER_MODULES:
        validators: dict[str, Validator] = importlib.import_module(module_name).VALIDATORS
        if name in validators:
            return validators[name]
    return None


def render_all(config: Config) -> list[RenderedFile]:
    """Every generated file for this configuration."""
    files: list[RenderedFile] = []
    for module_name in RENDERER_MODULES:
        module = importlib.import_module(module_name)
        files.extend(module.render(config))
    return files
