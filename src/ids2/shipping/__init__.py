"""Shipping events: Vector's config and checks, spool, bulk indexing, Redis fallback, canary."""
