"""Applying rendered files: nothing replaces a running file unless every candidate passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.common.apply import apply_files, as_applied
from ids2.common.rendered import RenderedFile, ValidationError


def passes(path: Path) -> str:
    assert path.name.endswith(".candidate")
    return "checked: ok"


def refuses(path: Path) -> str:
    raise ValidationError(f"tool says line 1 of {path.name} is wrong")


def test_new_files_are_written_with_their_notes(tmp_path: Path) -> None:
    report = apply_files(
        [RenderedFile("a.yaml", "a: 1\n", passes), RenderedFile("b.env", "X=1\n", None, 0o600)],
        tmp_path,
    )
    assert report.changed == ["a.yaml", "b.env"]
    assert report.notes == {"a.yaml": "checked: ok", "b.env": "no validator"}
    assert (tmp_path / "b.env").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.env"]


def test_unchanged_files_are_left_alone(tmp_path: Path) -> None:
    apply_files([RenderedFile("a.yaml", "a: 1\n", passes)], tmp_path)
    before = (tmp_path / "a.yaml").stat().st_mtime_ns
    report = apply_files([RenderedFile("a.yaml", "a: 1\n", passes)], tmp_path)
    assert report.unchanged == ["a.yaml"] and report.changed == []
    assert (tmp_path / "a.yaml").stat().st_mtime_ns == before


def test_a_refused_candidate_changes_nothing(tmp_path: Path) -> None:
    apply_files([RenderedFile("a.yaml", "a: 1\n"), RenderedFile("b.yaml", "b: 1\n")], tmp_path)
    with pytest.raises(ValidationError) as caught:
        apply_files(
            [RenderedFile("a.yaml", "a: 2\n", passes), RenderedFile("b.yaml", "b: 2\n", refuses)],
            tmp_path,
        )
    assert "b.yaml: tool says line 1 of .b.yaml.candidate is wrong" in str(caught.value)
    assert (tmp_path / "a.yaml").read_text() == "a: 1\n"
    assert (tmp_path / "b.yaml").read_text() == "b: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]


def test_the_replaced_content_is_kept_as_last_good(tmp_path: Path) -> None:
    apply_files([RenderedFile("a.yaml", "a: 1\n")], tmp_path)
    apply_files([RenderedFile("a.yaml", "a: 2\n")], tmp_path)
    assert (tmp_path / "a.yaml").read_text() == "a: 2\n"
    assert (tmp_path / "a.yaml.last-good").read_text() == "a: 1\n"


def test_a_validator_sees_the_other_file_of_its_batch_whatever_the_order(tmp_path: Path) -> None:
    (tmp_path / "pair.env").write_text("X=installed\n")
    seen: list[str] = []

    def reads_the_pair(path: Path) -> str:
        seen.append(as_applied(path, "pair.env").read_text())
        return "ok"

    # The checked file comes first: its partner's candidate is already written.
    apply_files(
        [RenderedFile("a.yml", "a\n", reads_the_pair), RenderedFile("pair.env", "X=new\n")],
        tmp_path,
    )
    # Alone in its batch, it is checked against the installed partner.
    apply_files([RenderedFile("a.yml", "b\n", reads_the_pair)], tmp_path)
    assert seen == ["X=new\n", "X=new\n"]
