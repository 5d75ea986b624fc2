"""Change one key of the configuration file in place, for commands that edit it.

A person's file keeps its comments, order and layout: only the text of the changed key's
value is rewritten (found through the YAML parser's node positions), or the key is added
at the end of the nearest mapping that exists. The result is parsed back and must equal
the intended document, validated as a whole, and only then written, atomically and with
the old file's mode; a failed check changes nothing.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ids2.config.load import Config, parse_yaml, validate_document
from ids2.config.machine import Machine
from ids2.config.normalize import RENAMED, normalize

KeyPath = tuple[str, ...]


def _block_mapping(node: yaml.Node | None) -> yaml.MappingNode | None:
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return node
    return None


def _content_end(node: yaml.Node) -> int:
    """Where a value's own text ends: a block collection's end mark lies past the comments
    and blank lines after it, which belong to what follows."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(last, tuple) else last)
    return int(node.end_mark.index)


def _dump(value: Any, indent: int) -> str:
    """`value` as block YAML, each line indented by `indent` spaces, no final newline."""
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=100)
    return "\n".join(" " * indent + line for line in text.rstrip("\n").splitlines())


def _value_text(value: Any, indent: int) -> str:
    """What follows `key` on its line: ': []', ': 5' or ':' and an indented block."""
    if isinstance(value, dict | list) and value:
        return ":\n" + _dump(value, indent + 2)
    return ": " + yaml.safe_dump(value, default_flow_style=True).removesuffix("...\n").strip()


def _line_end(text: str, index: int) -> int:
    """The index just past the end of the line holding `index` (a comment there stays)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _find(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(
        ((k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key),
        None,
    )


def _removed_text(text: str, path: KeyPath) -> str | None:
    """`text` without the lines of the key at `path` (a renamed one), or None when the file's
    shape does not allow it."""
    node: yaml.Node | None = yaml.compose(text)
    found = None
    for key in path:
        mapping = _block_mapping(node)
        found = _find(mapping, key) if mapping is not None else None
        if found is None:
            return None
        node = found[1]
    assert found is not None
    key_node, value_node = found
    start = text.rfind("\n", 0, key_node.start_mark.index) + 1
    if text[start : key_node.start_mark.index].strip():
        return None
    return text[:start] + text[_line_end(text, _content_end(value_node)) :]


def _edited_text(text: str, document: Any, path: KeyPath) -> str | None:
    """`text` with the value at `path` replaced by the one in `document`, or None when the
    file's shape leaves no place to put it without rewriting the whole file."""
    node = yaml.compose(text)
    parent_key: yaml.Node | None = None
    parent_value: yaml.Node | None = None
    for depth, key in enumerate(path):
        mapping = _block_mapping(node)
        if mapping is None:
            if parent_key is None or parent_value is None:
                return None
            value = _get(document, path[:depth])
            start, end = parent_key.end_mark.index, _content_end(parent_value)
            return text[:start] + _value_text(value, parent_key.start_mark.column) + text[end:]
        found = _find(mapping, key)
        if found is None:
            column = mapping.value[0][0].start_mark.column
            at = _line_end(text, _content_end(mapping))
            addition = _dump({key: _get(document, path[: depth + 1])}, column) + "\n"
            prefix = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
            return prefix + addition + text[at:]
        parent_key, parent_value = found
        node = parent_value
    assert parent_key is not None and parent_value is not None
    start, end = parent_key.end_mark.index, _content_end(parent_value)
    if isinstance(parent_value, yaml.MappingNode | yaml.SequenceNode) and not (
        parent_value.flow_style
    ):
        # a comment after a block's last line was about that line, which is gone
        end = max(end, _line_end(text, end) - 1) if "\n" in text[end:] else len(text)
    value_text = _value_text(_get(document, path), parent_key.start_mark.column)
    return text[:start] + value_text + text[end:]


def _get(document: Any, path: KeyPath) -> Any:
    for key in path:
        document = document[key]
    return document


def _present(document: Any, path: KeyPath) -> bool:
    try:
        _get(document, path)
    except (KeyError, TypeError):
        return False
    return True


def _set(document: Any, path: KeyPath, value: Any) -> Any:
    """A copy of `document` (None for an empty file) with `path` set to `value`."""
    result = copy.deepcopy(document) if isinstance(document, dict) else {}
    node = result
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return result


def write_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Replace `path` with `text` in one rename, so a power cut never leaves half a file.

    The file gets `mode`, else the mode it had (0644 for a new one); the temporary file is
    0600 until then, so a secrets file is never readable by others on the way.
    """
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Edit:
    """A checked change of the file: the configuration before and after, and both texts."""

    path: Path
    before: Config
    after: Config
    old_text: str
    new_text: str


def plan_edit(
    path: Path,
    change: Callable[[Config], dict[KeyPath, Any]],
    machine: Machine | None = None,
) -> Edit:
    """The file with each key path `change(current config)` names set to its value,
    checked but not written.

    Raises ConfigError when the file or the result is not valid.
    """
    machine = machine or Machine.this_one()
    old_text = path.read_text(encoding="utf-8")
    document = parse_yaml(old_text, str(path))
    before = validate_document(document, str(path), machine)
    changes = change(before)
    # Renamed keys still in the file move to their new names with this edit.
    normalized, _ = normalize(document)
    new_text = old_text
    for old_path, new_path in RENAMED.items():
        if _present(document, old_path):
            new_text = _removed_text(new_text, old_path) or ""
            changes.setdefault(new_path, _get(normalized, new_path))
    edited = normalized
    for key_path, value in changes.items():
        edited = _set(edited, key_path, value)
        in_place = _edited_text(new_text, edited, key_path) if isinstance(document, dict) else None
        new_text = in_place if in_place is not None else ""
    after = validate_document(edited, str(path), machine)
    if not new_text or parse_yaml(new_text, str(path)) != edited:
        # The file's shape defeated the in-place edit (flow style, odd layout): the whole
        # document is written, without its comments, rather than a wrong one.
        new_text = yaml.safe_dump(edited, sort_keys=False, default_flow_style=False)
    return Edit(path, before, after, old_text, new_text)
