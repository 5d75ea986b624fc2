"""Index expressions and the query DSL subset the OpenSearch test double answers.

Fields are compared as keywords (exact values; `.keyword` suffixes are ignored): the double
keeps no mappings, so a `match` is a `term`. Anything else is refused with a 400 naming it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from tests.doubles.opensearch_responses import index_not_found, unsupported

Hit = tuple[str, str, dict[str, Any]]  # index, _id, _source


def resolve_indices(expression: str, names: Iterable[str], ignore_unavailable: bool) -> list[str]:
    """The existing indices an expression names: comma lists, `*` patterns, `_all`, `-exclusion`.

    Raises the 404 index_not_found_exception for a missing concrete name, as OpenSearch does
    unless `ignore_unavailable`; a pattern that matches nothing is simply empty.
    """
    existing = sorted(names)
    chosen: list[str] = []
    for part in expression.split(","):
        if part.startswith("-"):
            chosen = [name for name in chosen if not fnmatch.fnmatchcase(name, part[1:])]
        elif part in ("_all", "*") or "*" in part:
            pattern = "*" if part == "_all" else part
            chosen += [n for n in existing if fnmatch.fnmatchcase(n, pattern) and n not in chosen]
        elif part in existing:
            chosen += [] if part in chosen else [part]
        elif not ignore_unavailable:
            raise index_not_found(part)
    return chosen


def field_value(source: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted path such as `ids2.canary_id`, or None when absent."""
    value: Any = source
    for key in dotted.removesuffix(".keyword").split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _values(source: dict[str, Any], dotted: str) -> list[Any]:
    value = field_value(source, dotted)
    return value if isinstance(value, list) else [] if value is None else [value]


def _single(clause: Any) -> tuple[str, Any]:
    ((name, wanted),) = clause.items()
    if isinstance(wanted, dict):
        wanted = wanted.get("value", wanted.get("query"))
    return name, wanted


def _in_range(values: list[Any], bounds: dict[str, Any]) -> bool:
    checks = {
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    return any(
        all(checks[op](value, bound) for op, bound in bounds.items() if op in checks)
        for value in values
    )


def matches(query: dict[str, Any], doc_id: str, source: dict[str, Any]) -> bool:
    """Whether a document satisfies match_all, ids, term, match, terms, range, exists or bool."""
    if not query or "match_all" in query:
        return True
    ((kind, clause),) = query.items()
    if kind == "ids":
        return doc_id in clause["values"]
    if kind in ("term", "match", "match_phrase"):
        name, wanted = _single(clause)
        return wanted in _values(source, name)
    if kind == "terms":
        name, wanted = next(iter(clause.items()))
        return any(value in wanted for value in _values(source, name))
    if kind == "range":
        ((name, bounds),) = clause.items()
        return _in_range(_values(source, name), bounds)
    if kind == "exists":
        return bool(_values(source, clause["field"]))
    if kind == "bool":
        return _bool(clause, doc_id, source)
    raise unsupported(f"support the {kind} query")


def _bool(clause: dict[str, Any], doc_id: str, source: dict[str, Any]) -> bool:
    def clauses(occur: str) -> list[dict[str, Any]]:
        found = clause.get(occur, [])
        return found if isinstance(found, list) else [found]

    required = clauses("must") + clauses("filter")
    should = clauses("should")
    return (
        all(matches(q, doc_id, source) for q in required)
        and not any(matches(q, doc_id, source) for q in clauses("must_not"))
        and (bool(required) or not should or any(matches(q, doc_id, source) for q in should))
    )


def _sort_specs(sort: Any) -> list[tuple[str, bool]]:
    """(field, descending) pairs from the forms `"f"`, `"f:desc"`, `{"f": "desc"}` and
    `{"f": {"order": "desc"}}`, alone or in a list."""
    specs: list[tuple[str, bool]] = []
    for item in sort if isinstance(sort, list) else [sort]:
        if isinstance(item, str):
            name, _, order = item.partition(":")
        else:
            ((name, order),) = item.items()
            order = order.get("order", "asc") if isinstance(order, dict) else order
        specs.append((name, order == "desc"))
    return specs


def sort_hits(hits: list[Hit], sort: Any) -> list[Hit]:
    """Hits ordered by the request's sort; documents missing a field go last either way."""
    ordered = list(hits)
    for name, descending in reversed(_sort_specs(sort)):
        present = [hit for hit in ordered if field_value(hit[2], name) is not None]
        missing = [hit for hit in ordered if field_value(hit[2], name) is None]
        present.sort(key=lambda hit: field_value(hit[2], name), reverse=descending)
        ordered = present + missing
    return ordered


def filter_source(source: dict[str, Any], wanted: Any, prefix: str = "") -> dict[str, Any]:
    """The `_source` a search returns: all of it, or only the dotted paths `wanted` names."""
    if wanted is True or wanted is None:
        return source
    includes = [wanted] if isinstance(wanted, str) else wanted
    if isinstance(wanted, dict):
        includes = wanted.get("includes", ["*"])
    kept: dict[str, Any] = {}
    for key, value in source.items():
        path = prefix + key
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in includes):
            kept[key] = value
        elif isinstance(value, dict) and any(p.startswith(path + ".") for p in includes):
            inner = filter_source(value, includes, path + ".")
            if inner:
                kept[key] = inner
    return kept
