"""The base every stage shares: rendered files and their checked apply, metric families, limits."""
