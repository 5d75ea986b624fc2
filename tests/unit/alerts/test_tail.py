"""Reading the alerts files: each complete line once, through rotation and truncation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.alerts import tail
from ids2.alerts.tail import Tail


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def test_only_lines_written_after_the_start_and_only_complete_ones(tmp_path: Path) -> None:
    old = tmp_path / "alerts.json.1796378400"
    old.write_text("old\n")
    reader = Tail(tmp_path)
    assert list(reader.new_lines()) == []
    append(old, "a\nb")
    (tmp_path / "eve-20261204T100000.json").write_text("not an alerts file\n")
    assert list(reader.new_lines()) == [b"a"]
    append(old, "c\n")
    assert list(reader.new_lines()) == [b"bc"]
    assert list(reader.new_lines()) == []


def test_a_rotated_file_is_read_from_its_start_and_a_deleted_one_forgotten(
    tmp_path: Path,
) -> None:
    first = tmp_path / "alerts.json.1796378400"
    first.write_text("")
    reader = Tail(tmp_path)
    append(first, "1\n")
    second = tmp_path / "alerts.json.1796378460"
    second.write_text("2\n3\n")
    assert list(reader.new_lines()) == [b"1", b"2", b"3"]
    first.unlink()
    assert list(reader.new_lines()) == []
    assert list(reader.positions) == [second]


def test_a_truncated_or_replaced_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json.1796378400"
    path.write_text("one\ntwo\n")
    reader = Tail(tmp_path)
    path.write_text("3\n")  # truncated: shorter than what was read
    assert list(reader.new_lines()) == [b"3"]
    replacement = tmp_path / "new.tmp"
    replacement.write_text("four\nfive\n")  # longer than the old position, another inode
    replacement.rename(path)
    assert list(reader.new_lines()) == [b"four", b"five"]


def test_a_backlog_larger_than_a_chunk_keeps_lines_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tail, "CHUNK_BYTES", 7)
    path = tmp_path / "alerts.json.1796378400"
    path.write_text("")
    reader = Tail(tmp_path)
    lines = [f"line-{index}-{'x' * index}" for index in range(12)]
    append(path, "\n".join(lines) + "\n")
    assert [line.decode() for line in reader.new_lines()] == lines


def test_a_missing_directory_has_no_lines(tmp_path: Path) -> None:
    assert list(Tail(tmp_path / "absent").new_lines()) == []
