"""ids2: the control plane of a Raspberry Pi 5 network intrusion-detection sensor."""

__version__ = "0.1.0"
