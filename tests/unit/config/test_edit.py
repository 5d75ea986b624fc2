"""Editing config.yaml for a command: the person's file stays theirs but for the key set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.config.edit import plan_edit, write_atomically
from ids2.config.machine import Machine
from ids2.errors import ConfigError

PI5 = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))
SUPPRESS = ("sensor", "rules", "suppress")
ENTRY = {"sid": 2013028, "track": "by_src", "ip": "10.0.0.5", "reason": "the backup host"}


def edited(tmp_path: Path, text: str, changes: dict[Any, Any]) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    edit = plan_edit(path, lambda _config: changes, PI5)
    assert path.read_text() == text, "planning writes nothing"
    assert edit.old_text == text
    return edit.new_text


def test_only_the_value_changes_and_every_comment_stays(tmp_path: Path) -> None:
    text = (
        "# the sensor in rack 4\n"
        "sensor:\n"
        "  interface: eth0  # the mirror port\n"
        "  rules:\n"
        "    sources: [et/open]   # ET Open only\n"
        "    suppress: []\n"
        "    update_calendar: daily # nightly\n"
        "# shipping later\n"
    )
    assert edited(tmp_path, text, {SUPPRESS: [ENTRY]}) == text.replace(
        "    suppress: []\n",
        "    suppress:\n"
        "      - sid: 2013028\n"
        "        track: by_src\n"
        "        ip: 10.0.0.5\n"
        "        reason: the backup host\n",
    )


def test_a_missing_key_and_section_are_added_where_they_belong(tmp_path: Path) -> None:
    text = "sensor:\n  interface: eth0\n# ramdisk next\nramdisk:\n  size_mb: 256\n"
    new = edited(tmp_path, text, {SUPPRESS: [ENTRY], ("sensor", "rules", "disable"): [5]})
    document = yaml.safe_load(new)
    assert document["sensor"]["rules"] == {"suppress": [ENTRY], "disable": [5]}
    assert document["ramdisk"] == {"size_mb": 256}
    assert new.index("rules:") < new.index("# ramdisk next")


def test_a_block_list_is_replaced_with_its_last_item_comment(tmp_path: Path) -> None:
    text = (
        "sensor:\n  rules:\n    suppress:\n    - sid: 5\n      reason: old  # about sid 5\n"
        "    # the calendar\n    update_calendar: daily\n"
    )
    new = edited(tmp_path, text, {SUPPRESS: []})
    assert (
        new
        == "sensor:\n  rules:\n    suppress: []\n    # the calendar\n    update_calendar: daily\n"
    )


@pytest.mark.parametrize("text", ["", "sensor: {rules: {suppress: []}}\n", "sensor:\n  rules:\n"])
def test_empty_and_flow_style_files_get_the_value(tmp_path: Path, text: str) -> None:
    new = edited(tmp_path, text, {SUPPRESS: [ENTRY]})
    assert yaml.safe_load(new)["sensor"]["rules"]["suppress"] == [ENTRY]


def test_a_bad_value_is_refused_with_its_key_path_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("sensor:\n  interface: eth0\n")
    bad = {**ENTRY, "ip": "10.0.0.300"}
    with pytest.raises(ConfigError) as caught:
        plan_edit(path, lambda _config: {SUPPRESS: [bad]}, PI5)
    assert caught.value.problems == [
        "at 'sensor.rules.suppress[0].ip': expected an IP address or CIDR network such as "
        "10.0.0.5 or 10.0.0.0/24, or '', got '10.0.0.300'"
    ]
    assert path.read_text() == "sensor:\n  interface: eth0\n"


def test_writing_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == ["config.yaml"]


def test_a_renamed_key_moves_to_its_new_name_with_the_edit(tmp_path: Path) -> None:
    text = (
        "sensor:\n  rules:\n    # two noisy ones\n    disable_sids:\n    - 5\n    - 6\n"
        "    update_calendar: daily  # nightly\n"
    )
    new = edited(tmp_path, text, {SUPPRESS: [ENTRY]})
    assert yaml.safe_load(new)["sensor"]["rules"] == {
        "update_calendar": "daily",
        "disable": [5, 6],
        "suppress": [ENTRY],
    }
    assert "    update_calendar: daily  # nightly\n" in new
    assert "disable_sids" not in new


def test_an_old_file_still_validates_with_a_warning_naming_the_new_key(tmp_path: Path) -> None:
    from ids2.config.load import validate_document

    config = validate_document(
        {"sensor": {"rules": {"enable_sids": [7], "enable": ["re:x", 7]}}}, "config.yaml", PI5
    )
    assert config["sensor"]["rules"]["enable"] == ["re:x", 7]
    assert config.warnings == [
        "at 'sensor.rules.enable_sids': deprecated, read as sensor.rules.enable (which also "
        "takes suricata-update matchers); rename the key"
    ]
