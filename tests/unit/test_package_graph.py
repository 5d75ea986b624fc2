"""The package layout the README draws: a base, one package per stage, composers on top.

Every import of one of our packages must point strictly down this ranking, so no package
imports one drawn above it or beside it (stages do not know each other), and a cycle
between packages cannot exist. A new top-level package fails here until it is given a
rank, which is where its place in the README's map gets decided.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ids2

SOURCE = Path(ids2.__file__).resolve().parent
RANK = {
    # the base: imports nothing of ours above it
    "errors": 0,
    "logsetup": 0,
    "state": 0,
    "config": 1,
    "common": 1,
    # one package per pipeline stage
    "suricata": 2,
    "system": 2,
    "stack": 2,
    "shipping": 2,
    # probes OpenSearch through shipping's client
    "connectivity": 3,
    # reads alerts through shipping's OpenSearch client, the spool and Suricata's RAM disk
    "alerts": 3,
    # Alertmanager's configuration and API, for the stack's Alertmanager
    "notify": 3,
    # composing the stages
    "controllers": 4,
    "status": 5,
    "deploy": 6,
    "cli": 7,
    "__main__": 8,
}
FLAT_MODULES_AT_MOST = 5


def _top(path: Path) -> str:
    return path.relative_to(SOURCE).parts[0].removesuffix(".py")


def _imported_tops(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) for every import of ours in `path`, relative ones too."""
    package = ["ids2", *path.relative_to(SOURCE).parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names = [".".join([*base, *([node.module] if node.module else [])])]
                if not node.module:
                    names = [f"{names[0]}.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "ids2" and len(parts) > 1:
                yield node.lineno, parts[1]


def test_every_top_level_package_has_a_rank() -> None:
    tops = {_top(path) for path in SOURCE.rglob("*.py")}
    assert tops - {"__init__"} <= RANK.keys(), f"give these a rank: {tops - RANK.keys()}"


def test_imports_point_strictly_down_the_layers() -> None:
    wrong = []
    for path in sorted(SOURCE.rglob("*.py")):
        importer = _top(path)
        if importer == "__init__":
            continue
        for line, imported in _imported_tops(path):
            if imported != importer and RANK[imported] >= RANK[importer]:
                wrong.append(f"{path.relative_to(SOURCE)}:{line}: {importer} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_few_modules_lie_flat() -> None:
    flat = sorted(path.name for path in SOURCE.glob("*.py"))
    assert len(flat) <= FLAT_MODULES_AT_MOST, flat


def test_unit_tests_mirror_the_packages() -> None:
    unit = Path(__file__).resolve().parent
    packages = {path.name for path in SOURCE.iterdir() if (path / "__init__.py").is_file()}
    mirrored = {path.name for path in unit.iterdir() if (path / "__init__.py").is_file()}
    # the test doubles and the pure support helpers (of tests and benchmarks) are tested
    # too, though they are not part of the package
    assert mirrored - {"doubles", "support"} <= packages, mirrored - packages
