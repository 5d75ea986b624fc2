"""The host: RAM disk, throttle levels and actions, pace, systemd, first boot, host metrics."""
