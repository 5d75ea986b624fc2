"""Generate the commented default config file and the README reference from the schema."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import Any

import yaml

from ids2.config.schema import ROOT
from ids2.config.spec import Option, Records, Section

HEADER = """\
# /etc/ids2/config.yaml: the one configuration file of the ids2 sensor.
#
# Every key is shown with its default. Check an edit with `ids2 config validate`, then apply
# it with `systemctl reload ids2.target` (controllers) or `ids2 deploy` (rendered configs).
# Passwords never go here: they live in the root-only secrets file (shipping.secrets_file).
# Generated from the schema by `ids2 config example`; the README has the same reference.
"""


def _yaml_scalar(value: Any) -> str:
    """One-line YAML for a default; JSON scalars and flow lists are valid YAML."""
    return json.dumps(value)


def _comment(text: str, indent: str) -> Iterator[str]:
    for line in textwrap.wrap(text, width=92 - len(indent)):
        yield f"{indent}# {line}"


def _example_lines(section: Section, depth: int) -> Iterator[str]:
    indent = "  " * depth
    for key, child in section.children.items():
        if isinstance(child, Section):
            yield ""
            yield from _comment(child.description, indent)
            yield f"{indent}{key}:"
            yield from _example_lines(child, depth + 1)
            continue
        yield from _comment(child.description, indent)
        if isinstance(child, Records) and child.example is not None:
            yield f"{indent}# Example:"
            block = yaml.safe_dump({key: child.example}, sort_keys=False)
            yield from (f"{indent}#   {line}" for line in block.splitlines())
        elif child.example is not None:
            yield f"{indent}# Example: {_yaml_scalar(child.example)}"
        yield f"{indent}{key}: {_yaml_scalar(child.default)}"


def example_config() -> str:
    """The shipped /etc/ids2/config.yaml: every key with its default and its meaning."""
    return HEADER + "\n".join(_example_lines(ROOT, 0)).rstrip() + "\n"


def _reference_rows(section: Section, path: str, note: str = "") -> Iterator[str]:
    for key, child in section.children.items():
        child_path = f"{path}.{key}" if path else key
        if isinstance(child, Section):
            yield from _reference_rows(child, child_path, note)
        elif isinstance(child, Records):
            yield _records_row(child_path, child)
            item_path = f"{child_path}.NAME" if child.named else f"{child_path}[N]"
            for kind, variant in child.variants.items():
                where = f"{note}{kind}: " if len(child.variants) > 1 else note
                yield from _reference_rows(variant, item_path, where)
        else:
            yield _reference_row(child_path, child, note)


def _records_row(path: str, records: Records) -> str:
    default = _yaml_scalar(records.default)
    return f"| `{path}` | `{default}` | {records.expectation()} | {records.description} |"


def _reference_row(path: str, option: Option, note: str = "") -> str:
    allowed = option.expectation()
    if option.is_list:
        allowed = f"list of {allowed}"
    if option.required:
        allowed = f"required; {allowed}"
    default = _yaml_scalar(option.default)
    return f"| `{path}` | `{default}` | {allowed} | {note}{option.description} |"


def reference_markdown() -> str:
    """The README's configuration reference table."""
    lines = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    return "\n".join([*lines, *_reference_rows(ROOT, "")]) + "\n"
