"""Prometheus collectors, one per source; each builds fresh families on every scrape."""
