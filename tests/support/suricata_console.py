"""Suricata's console output, read for what a benchmark must show next to its figures."""

from __future__ import annotations


def error_lines(output: str) -> list[str]:
    """Suricata's error lines ("E: ...") in `output`, each once, in order: an error that
    changes how a variant runs (a thread left at normal priority, say) explains its figure."""
    return list(dict.fromkeys(line for line in output.splitlines() if line.startswith("E: ")))
