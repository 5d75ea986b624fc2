"""The shipped config file and the README reference are generated from the schema."""

from __future__ import annotations

from pathlib import Path

import yaml

from ids2.config.generate import example_config, reference_markdown
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.config.schema import ROOT
from ids2.config.spec import Option, Section
from ids2.config.validate import default_of

ROOT_DIR = Path(__file__).resolve().parents[3]


def _options(section: Section, path: str = "") -> list[tuple[str, Option]]:
    found = []
    for key, child in section.children.items():
        child_path = f"{path}.{key}" if path else key
        if isinstance(child, Section):
            found.extend(_options(child, child_path))
        else:
            found.append((child_path, child))
    return found


def test_shipped_config_matches_the_schema() -> None:
    shipped = (ROOT_DIR / "etc/ids2/config.yaml").read_text()
    assert shipped == example_config(), "regenerate: ids2 config example > etc/ids2/config.yaml"


def test_shipped_config_parses_to_exactly_the_defaults() -> None:
    document = yaml.safe_load(example_config())
    machine = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))
    assert validate_document(document, "example", machine).values == default_of(ROOT)


def test_readme_reference_matches_the_schema() -> None:
    readme = (ROOT_DIR / "README.md").read_text()
    begin, end = "<!-- BEGIN CONFIG REFERENCE -->\n", "<!-- END CONFIG REFERENCE -->"
    between = readme.split(begin, 1)[1].split(end, 1)[0]
    assert between == reference_markdown(), "regenerate with: make docs"


def test_every_option_is_described_and_in_the_reference() -> None:
    for path, option in _options(ROOT):
        assert option.description.endswith((".", ")")), path
        assert f"`{path}`" in reference_markdown()
