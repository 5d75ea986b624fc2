"""The config history is a real git repository: commits, diff summaries, no secrets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ids2.deploy.history import ConfigHistory, HistoryError


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    path.chmod(mode)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    directory = tmp_path / "rendered"
    directory.mkdir()
    write(directory / "suricata.yaml", "workers: 2\n")
    write(directory / "vector.toml", "[sources]\n")
    write(directory / "vector.env", "IDS2_OPENSEARCH_PASSWORD=hunter2\n", 0o600)
    return directory


def test_records_files_with_a_diff_summary_but_never_private_ones(
    tmp_path: Path, rendered: Path
) -> None:
    history = ConfigHistory(tmp_path / "history")
    names = ["suricata.yaml", "vector.toml", "vector.env"]
    first = history.record(rendered, names, "deploy: phase F")
    assert first is not None
    assert first.subject == "deploy: phase F"
    assert "suricata.yaml" in first.summary and "vector.toml" in first.summary
    tracked = subprocess.run(
        ["git", "-C", str(tmp_path / "history"), "ls-files"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == ["suricata.yaml", "vector.toml"]
    assert "hunter2" not in (tmp_path / "history" / ".git").joinpath("index").read_bytes().decode(
        errors="replace"
    )


def test_unchanged_files_make_no_commit_and_changes_are_diffed(
    tmp_path: Path, rendered: Path
) -> None:
    history = ConfigHistory(tmp_path / "history")
    first = history.record(rendered, ["suricata.yaml"], "one")
    assert history.record(rendered, ["suricata.yaml"], "again") is None
    write(rendered / "suricata.yaml", "workers: 4\n")
    second = history.record(rendered, ["suricata.yaml"], "two")
    assert second is not None and first is not None
    assert second.revision != first.revision
    assert "1 insertion(+), 1 deletion(-)" in second.summary
    assert history.files_at(first.revision) == {"suricata.yaml": "workers: 2\n"}
    assert history.files_at("HEAD") == {"suricata.yaml": "workers: 4\n"}


def test_unknown_revision_is_a_clear_error(tmp_path: Path, rendered: Path) -> None:
    history = ConfigHistory(tmp_path / "history")
    history.record(rendered, ["suricata.yaml"], "one")
    with pytest.raises(HistoryError, match="no revision 'HEAD~5' in the config history"):
        history.files_at("HEAD~5")


def test_push_to_a_remote(tmp_path: Path, rendered: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    history = ConfigHistory(tmp_path / "history")
    commit = history.record(rendered, ["suricata.yaml"], "one")
    history.push(str(remote))
    pushed = subprocess.run(
        ["git", "-C", str(remote), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert commit is not None and pushed == commit.revision


def test_the_config_file_is_recorded_beside_but_never_restored(
    tmp_path: Path, rendered: Path
) -> None:
    history = ConfigHistory(tmp_path / "history")
    config = tmp_path / "config.yaml"
    write(config, "sensor:\n  workers: 2\n")
    assert history.record(rendered, [], "before an edit", config) is not None
    write(config, "sensor:\n  workers: 4\n")
    commit = history.record(rendered, ["suricata.yaml"], "the edit", config)
    assert commit is not None and "config.yaml" in commit.summary
    assert history.files_at("HEAD") == {"suricata.yaml": "workers: 2\n"}
    shown = ["git", "-C", str(tmp_path / "history"), "show", "HEAD~1:config.yaml"]
    assert subprocess.run(shown, capture_output=True, text=True, check=True).stdout == (
        "sensor:\n  workers: 2\n"
    )
