"""ids2: the control plane of a Raspberry Pi 5 network intrusion-detection sensor.

Lean imports. Four controllers run for good, each its own process, and every module one
imports stays in its memory. So the modules they import (`tests/integration/controllers/
test_footprint_imports.py` checks which) import neither typing nor dataclasses at run time:
dataclasses brings inspect, ast and dis, 1.0 MB of private memory per process, and typing
0.4 MB (measured: an interpreter with PyYAML, json, socket, logging and pathlib, with and
without each). Their records are plain classes with `__slots__`, and their annotations,
never evaluated, import what they name under `if TYPE_CHECKING:`.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
"""`typing.TYPE_CHECKING` without importing typing: mypy takes any `if TYPE_CHECKING:` as
true."""
