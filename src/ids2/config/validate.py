"""Check a parsed YAML document against the schema, collecting every problem at once.

Each problem names the key path, what was expected and what was found, so a person can fix
the file in one pass. Values of secret options are never repeated back.
"""

from __future__ import annotations

import re

from ids2 import TYPE_CHECKING
from ids2.config.spec import KIND_NAMES, Option, Records, Section

if TYPE_CHECKING:
    from typing import Any

_ITEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

REDACTED = "<redacted>"


def describe(value: Any, secret: bool = False) -> str:
    """Render a found value briefly for an error message, hiding secrets."""
    if secret:
        return REDACTED
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind_matches(option: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return option.kind == "boolean"
    if option.kind == "integer":
        return isinstance(value, int)
    if option.kind == "number":
        return isinstance(value, int | float)
    if option.kind == "string":
        return isinstance(value, str)
    return option.kind == "scalar" and isinstance(value, int | str)


class Problems(list[str]):
    """Problem messages, plus the key paths whose values were rejected."""

    def __init__(self) -> None:
        super().__init__()
        self.invalid_paths: set[str] = set()

    def reject(self, path: str, message: str) -> None:
        self.invalid_paths.add(path.split("[")[0])
        self.append(message)


def _check_scalar(option: Option, value: Any, path: str, problems: Problems) -> None:
    def problem(expected: str) -> None:
        problems.reject(
            path, f"at '{path}': expected {expected}, got {describe(value, option.secret)}"
        )

    matches = _kind_matches(option, value)
    out_of_range = matches and (
        (option.minimum is not None and value < option.minimum)
        or (option.maximum is not None and value > option.maximum)
    )
    if not matches or out_of_range or (option.choices is not None and value not in option.choices):
        problem(option.expectation())
        return
    if option.check is not None:
        expected = option.check(value)
        if expected is not None:
            problem(expected)


def _check_option(option: Option, value: Any, path: str, problems: Problems) -> Any:
    if not option.is_list:
        _check_scalar(option, value, path, problems)
        return value
    if not isinstance(value, list):
        problems.reject(
            path,
            f"at '{path}': expected a list of {KIND_NAMES[option.kind]}s, "
            f"got {describe(value, option.secret)}",
        )
        return value
    for index, item in enumerate(value):
        _check_scalar(option, item, f"{path}[{index}]", problems)
    return value


def _items(
    records: Records, value: Any, path: str, problems: Problems
) -> list[tuple[str, str, Any]]:
    """(name, key path, item) of each item of a Records value, or none when its shape is wrong."""
    if value is None:
        return []
    if records.named and isinstance(value, dict):
        items = []
        for name, item in value.items():
            if isinstance(name, str) and _ITEM_NAME.match(name):
                items.append((name, f"{path}.{name}", item))
            else:
                problems.reject(
                    path,
                    f"at '{path}': expected names of 1-64 of A-Z a-z 0-9 _ - "
                    f"(starting with a letter or digit), got {describe(name)}",
                )
        return items
    if not records.named and isinstance(value, list):
        return [(str(index), f"{path}[{index}]", item) for index, item in enumerate(value)]
    problems.reject(path, f"at '{path}': expected {records.expectation()}, got {describe(value)}")
    return []


def _variant(records: Records, item: Any, path: str, problems: Problems) -> Section | None:
    """The Section an item is checked against: the one variant, or that of its `type`."""
    if len(records.variants) == 1:
        return next(iter(records.variants.values()))
    kind = item.get("type") if isinstance(item, dict) else None
    if isinstance(kind, str) and kind in records.variants:
        return records.variants[kind]
    if not isinstance(item, dict):
        problems.reject(path, f"at '{path}': expected a mapping of keys, got {describe(item)}")
    else:
        choices = ", ".join(repr(name) for name in records.variants)
        problems.reject(
            f"{path}.type", f"at '{path}.type': expected one of {choices}, got {describe(kind)}"
        )
    return None


def _check_records(records: Records, value: Any, path: str, problems: Problems) -> Any:
    checked = {
        name: check_section(section, item, item_path, problems)
        for name, item_path, item in _items(records, value, path, problems)
        if (section := _variant(records, item, item_path, problems)) is not None
    }
    return checked if records.named else list(checked.values())


def _unknown_key_problem(section: Section, key: Any, path: str) -> str:
    known = list(section.children)
    where = f"at '{_join(path, str(key))}'"
    import difflib  # only when a key is wrong: most processes never pay for it

    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{where}: unknown key{hint}; expected one of: {', '.join(known)}"


def check_section(section: Section, document: Any, path: str, problems: Problems) -> Any:
    """Return `document` with defaults filled in, appending every problem found."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        where = f"at '{path}'" if path else "at the top level"
        problems.reject(path, f"{where}: expected a mapping of keys, got {describe(document)}")
        return default_of(section)
    result: dict[str, Any] = {}
    for key in document:
        if key not in section.children:
            problems.append(_unknown_key_problem(section, key, path))
    for key, child in section.children.items():
        child_path = _join(path, key)
        if isinstance(child, Section):
            result[key] = check_section(child, document.get(key), child_path, problems)
        elif isinstance(child, Records):
            result[key] = _check_records(child, document.get(key), child_path, problems)
        elif key in document:
            result[key] = _check_option(child, document[key], child_path, problems)
        else:
            if child.required:
                problems.reject(
                    child_path, f"at '{child_path}': required, expected {child.expectation()}"
                )
            result[key] = _copy_default(child.default)
    return result


def _copy_default(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    return list(value) if isinstance(value, list) else value


def default_of(section: Section) -> dict[str, Any]:
    """The fully defaulted values of a section, as the validator would produce them."""
    return {
        key: default_of(child) if isinstance(child, Section) else _copy_default(child.default)
        for key, child in section.children.items()
    }
