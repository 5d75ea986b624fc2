"""The controllers, each run by `ids2 run NAME` in its own systemd unit.

They are imported by name only when run, so one controller's process never pays for
another's imports.
"""

from __future__ import annotations

import importlib

from ids2.controllers.base import Controller
from ids2.errors import Ids2Error

CONTROLLERS: dict[str, str] = {
    "resource": "ids2.controllers.resource:ResourceController",
    "connectivity": "ids2.controllers.connectivity:ConnectivityController",
    "metrics": "ids2.controllers.metrics:MetricsController",
    "verify": "ids2.controllers.verify:VerifyController",
}
"""Controller name -> 'module:Class'."""


def load_controller(name: str) -> type[Controller]:
    """Import and return the controller class registered under `name`."""
    try:
        module_name, class_name = CONTROLLERS[name].split(":")
    except KeyError:
        known = ", ".join(sorted(CONTROLLERS)) or "none"
        raise Ids2Error(f"no controller named {name!r}; known controllers: {known}") from None
    controller_class: type[Controller] = getattr(importlib.import_module(module_name), class_name)
    return controller_class
