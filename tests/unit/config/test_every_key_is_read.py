"""Every configuration key is read by some code outside the config package.

A static walk: for each key of the schema, some module of ids2 outside `config/` must
name it (quoted) next to its parent section's name, or, for the throttle levels, the
`f"level{n}"` lookup. It cannot prove the key has an effect (the per-key tests do), but a
key that no module names can have none, and that is what it catches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ids2.config.schema import ROOT
from ids2.config.spec import Section

SOURCE = Path(__file__).resolve().parents[3] / "src/ids2"
LEVEL_SECTION = re.compile(r"^level\d$")


def key_paths(section: Section, parents: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, child in section.children.items():
        if isinstance(child, Section):
            yield from key_paths(child, (*parents, name))
        else:
            yield (*parents, name)


def names(text: str, key: str) -> bool:
    if LEVEL_SECTION.match(key):
        return 'f"level{' in text
    return re.search(rf"[\"']{re.escape(key)}[\"']", text) is not None


def test_every_key_is_named_by_a_module_outside_the_config_package() -> None:
    modules = [
        path.read_text()
        for path in SOURCE.rglob("*.py")
        if "config" not in path.relative_to(SOURCE).parts[:1]
    ]
    unread = [
        ".".join(path)
        for path in key_paths(ROOT)
        if not any(
            names(text, path[-1]) and (len(path) < 2 or names(text, path[-2])) for text in modules
        )
    ]
    assert unread == []


def test_the_walk_finds_a_key_nobody_reads() -> None:
    assert not names("config['stack']['vector']['cpus']", "no_such_key")
    assert names('values["ramdisk"]["size_mb"]', "size_mb")
    assert names('resources[f"level{level}"]', "level2")
