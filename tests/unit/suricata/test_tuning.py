"""threshold.config and suricata-update's filter files from sensor.rules, and the edits
the `ids2 rules` commands make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.suricata.render import SuricataFacts, suricata_config
from ids2.suricata.tuning import threshold_text, update_file_text
from ids2.suricata.tuning_edits import (
    TuningError,
    listing,
    loaded_sids,
    suppress,
    switch,
    threshold,
    unknown_sid_warnings,
    unsuppress,
    unthreshold,
)

PI5 = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))
FACTS = SuricataFacts(cpu_count=4, hyperscan=False, hostname="sensor")


def tuned(**rules: Any) -> Config:
    return validate_document({"sensor": {"rules": rules}}, "config.yaml", PI5)


def problems(**rules: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        tuned(**rules)
    return [problem.split(": expected")[0] for problem in caught.value.problems]


def apply(config: Config, changes: dict[Any, Any]) -> Config:
    rules = dict(config["sensor"]["rules"])
    rules.update({path[-1]: value for path, value in changes.items()})
    return tuned(**{key: rules[key] for key in ("suppress", "threshold", "disable", "enable")})


def test_threshold_config_has_one_line_per_entry_after_its_reason() -> None:
    config = tuned(
        suppress=[
            {"sid": 1, "track": "by_dst", "ip": "10.0.0.0/24", "reason": "two\nlines"},
            {"sid": 2, "reason": "noisy everywhere"},
        ],
        threshold=[{"sid": 3, "type": "both", "track": "by_rule", "count": 5, "seconds": 30}],
    )
    assert threshold_text(config).splitlines()[1:] == [
        "# two lines",
        "suppress gen_id 1, sig_id 1, track by_dst, ip 10.0.0.0/24",
        "# noisy everywhere",
        "suppress gen_id 1, sig_id 2",
        "threshold gen_id 1, sig_id 3, type both, track by_rule, count 5, seconds 30",
    ]


def test_filter_files_take_sids_and_matchers_one_per_line() -> None:
    config = tuned(disable=[2019401, "1:2019402", "re:heartbleed", "group:emerging-dos.rules"])
    assert update_file_text(config, "disable").splitlines()[1:] == [
        "2019401",
        "1:2019402",
        "re:heartbleed",
        "group:emerging-dos.rules",
    ]
    assert update_file_text(config, "enable").splitlines()[1:] == []


def test_suricata_yaml_reads_the_rendered_threshold_file() -> None:
    rendered = suricata_config(tuned(), FACTS)
    assert rendered["threshold-file"] == "/var/lib/ids2/rendered/threshold.config"


def test_bad_tuning_values_are_refused_naming_the_key_path() -> None:
    assert problems(
        suppress=[{"sid": "x", "track": "by_who", "ip": "10.0.0.300", "reason": ""}],
        threshold=[{"sid": 0, "type": "often", "count": 0}],
        disable=["12x", "re:(", "metadata:only-a-key", 4294967296],
        enable=[True],
    ) == [
        "at 'sensor.rules.enable[0]'",
        "at 'sensor.rules.disable[0]'",
        "at 'sensor.rules.disable[1]'",
        "at 'sensor.rules.disable[2]'",
        "at 'sensor.rules.disable[3]'",
        "at 'sensor.rules.suppress[0].sid'",
        "at 'sensor.rules.suppress[0].track'",
        "at 'sensor.rules.suppress[0].ip'",
        "at 'sensor.rules.suppress[0].reason'",
        "at 'sensor.rules.threshold[0].sid'",
        "at 'sensor.rules.threshold[0].type'",
        "at 'sensor.rules.threshold[0].count'",
    ]


def test_a_suppression_needs_a_sid_and_a_reason() -> None:
    assert problems(suppress=[{"ip": "10.0.0.5"}]) == [
        "at 'sensor.rules.suppress[0].sid': required, expected a whole number from 1 to 4294967295",
        "at 'sensor.rules.suppress[0].reason': required, expected a string",
    ]


def test_one_threshold_per_sid() -> None:
    assert problems(threshold=[{"sid": 7}, {"sid": 8}, {"sid": 7}]) == [
        "at 'sensor.rules.threshold[2].sid'"
    ]


def test_suppressing_twice_keeps_one_with_the_last_reason() -> None:
    config = tuned()
    config = apply(config, suppress(config, 5, "by_src", "10.0.0.5", "first"))
    config = apply(config, suppress(config, 5, "by_src", "10.0.0.5", "second"))
    config = apply(config, suppress(config, 5, "by_dst", "10.0.0.5", "other side"))
    config = apply(config, suppress(config, 5, "by_src", "", "everywhere"))
    assert [(s["track"], s["ip"], s["reason"]) for s in config["sensor"]["rules"]["suppress"]] == [
        ("by_src", "10.0.0.5", "second"),
        ("by_dst", "10.0.0.5", "other side"),
        ("by_src", "", "everywhere"),
    ]
    only_dst = apply(config, unsuppress(config, 5, ""))
    assert len(only_dst["sensor"]["rules"]["suppress"]) == 2
    assert apply(config, unsuppress(config, 5, None))["sensor"]["rules"]["suppress"] == []
    with pytest.raises(TuningError, match="no suppression of 6"):
        unsuppress(config, 6, None)


def test_a_threshold_replaces_the_one_of_its_sid() -> None:
    config = tuned()
    entry = {"sid": 5, "type": "limit", "track": "by_src", "count": 1, "seconds": 60, "reason": ""}
    config = apply(config, threshold(config, entry))
    config = apply(config, threshold(config, {**entry, "count": 3}))
    assert [t["count"] for t in config["sensor"]["rules"]["threshold"]] == [3]
    assert apply(config, unthreshold(config, 5))["sensor"]["rules"]["threshold"] == []
    with pytest.raises(TuningError, match="no threshold for 6"):
        unthreshold(config, 6)


def test_disable_and_enable_move_a_rule_between_the_lists() -> None:
    config = tuned(enable=[2019401])
    config = apply(config, switch(config, 2019401, on=False))
    rules = config["sensor"]["rules"]
    assert (rules["disable"], rules["enable"]) == ([2019401], [])
    # enabling what was only disabled undoes that; a rule a source ships off needs enable
    config = apply(config, switch(config, 2019401, on=True))
    assert (config["sensor"]["rules"]["disable"], config["sensor"]["rules"]["enable"]) == ([], [])
    config = apply(config, switch(config, "re:heartbleed", on=True))
    config = apply(config, switch(config, "re:heartbleed", on=True))
    assert config["sensor"]["rules"]["enable"] == ["re:heartbleed"]


def test_listing_and_unknown_sids(tmp_path: Path) -> None:
    rules = tmp_path / "suricata.rules"
    rules.write_text(
        'alert icmp any any -> any any (msg:"on"; sid:1; rev:1;)\n'
        '# alert icmp any any -> any any (msg:"disabled"; sid:2; rev:1;)\n'
    )
    config = tuned(
        suppress=[{"sid": 1, "ip": "10.0.0.5", "reason": "lab"}, {"sid": 2, "reason": "off"}],
        threshold=[{"sid": 3, "count": 2, "seconds": 10}],
        disable=["group:x.rules"],
    )
    assert loaded_sids(rules) == {1}
    warnings = unknown_sid_warnings(config, rules)
    assert [warning.split(":")[0] for warning in warnings] == [
        "sensor.rules.suppress[1]",
        "sensor.rules.threshold[0]",
    ]
    assert "SID 2 is not in the loaded ruleset" in warnings[0]
    assert listing(config) == [
        "suppress   1          by_src 10.0.0.5  # lab",
        "suppress   2          everywhere  # off",
        "threshold  3          limit by_src, count 2 per 10 s",
        "disable    group:x.rules",
    ]
    assert unknown_sid_warnings(config, tmp_path / "none.rules")[0].startswith("no ruleset")
