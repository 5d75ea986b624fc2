"""Notifications: Alertmanager's configuration, rendered from `notify`, and its API."""
