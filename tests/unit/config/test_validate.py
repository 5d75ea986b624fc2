"""The schema's validation: every kind of bad input gives a message a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ids2.config.load import (
    Config,
    _StrictLoader,
    load_config,
    load_secrets,
    parse_yaml,
    validate_document,
)
from ids2.config.machine import Machine
from ids2.errors import ConfigError

PI5 = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"lo", "eth0", "wlan0"}))
SOURCE = "/etc/ids2/config.yaml"


def problems_of(document: object, machine: Machine = PI5) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate_document(document, SOURCE, machine)
    return caught.value.problems


def validate(document: object, machine: Machine = PI5) -> Config:
    return validate_document(document, SOURCE, machine)


def test_empty_file_gives_every_default() -> None:
    config = validate(None)
    assert config["sensor"]["interface"] == "eth0"
    assert config["sensor"]["workers"] == 2
    assert config["shipping"]["opensearch"]["index_prefix"] == "ids2-logs"
    assert config["resources"]["hard_limit_percent"] == 70


def test_defaults_are_copies_not_shared_lists() -> None:
    first = validate(None)
    first["sensor"]["home_networks"].append("1.2.3.0/24")
    assert "1.2.3.0/24" not in validate(None)["sensor"]["home_networks"]


def test_unknown_key_names_path_and_suggests() -> None:
    (problem,) = problems_of({"sensor": {"interfase": "eth1"}})
    assert "at 'sensor.interfase'" in problem
    assert "did you mean 'interface'" in problem
    assert "expected one of: name, interface" in problem


def test_unknown_top_level_section() -> None:
    (problem,) = problems_of({"sensors": {}})
    assert problem.startswith("at 'sensors': unknown key (did you mean 'sensor'?)")


@pytest.mark.parametrize(
    ("document", "path", "expected", "found"),
    [
        ({"sensor": {"workers": "two"}}, "sensor.workers", "a whole number", "'two'"),
        ({"sensor": {"workers": True}}, "sensor.workers", "a whole number", "True"),
        ({"sensor": {"workers": 2.5}}, "sensor.workers", "a whole number", "2.5"),
        ({"sensor": {"workers": 0}}, "sensor.workers", "from 1 to 64", "0"),
        (
            {"shipping": {"opensearch": {"verify_tls": "yes please"}}},
            "shipping.opensearch.verify_tls",
            "true or false",
            "'yes please'",
        ),
        (
            {"shipping": {"opensearch": {"auth": "kerberos"}}},
            "shipping.opensearch.auth",
            "one of 'aws', 'basic', 'none'",
            "'kerberos'",
        ),
        ({"sensor": {"interface": "eth0 1"}}, "sensor.interface", "network interface", "'eth0 1'"),
        (
            {"sensor": {"interface": "a-very-long-interface-name"}},
            "sensor.interface",
            "1-15",
            "'a-very-long-interface-name'",
        ),
        (
            {"sensor": {"home_networks": "10.0.0.0/8"}},
            "sensor.home_networks",
            "a list of a strings",
            "'10.0.0.0/8'",
        ),
        (
            {"sensor": {"home_networks": ["10.0.0.0/8", "300.1.1.0/24"]}},
            "sensor.home_networks[1]",
            "CIDR",
            "'300.1.1.0/24'",
        ),
        (
            {"shipping": {"opensearch": {"endpoint": "ftp://x.example"}}},
            "shipping.opensearch.endpoint",
            "an http(s) URL",
            "'ftp://x.example'",
        ),
        (
            {"shipping": {"opensearch": {"endpoint": "https://"}}},
            "shipping.opensearch.endpoint",
            "an http(s) URL",
            "'https://'",
        ),
        (
            {"shipping": {"opensearch": {"endpoint": "https://host:99999"}}},
            "shipping.opensearch.endpoint",
            "an http(s) URL",
            "'https://host:99999'",
        ),
        (
            {"shipping": {"opensearch": {"aws_region": "Europe"}}},
            "shipping.opensearch.aws_region",
            "AWS region",
            "'Europe'",
        ),
        (
            {"shipping": {"opensearch": {"index_prefix": "IDS2"}}},
            "shipping.opensearch.index_prefix",
            "lowercase",
            "'IDS2'",
        ),
        (
            {"shipping": {"redis": {"key": "spill, other"}}},
            "shipping.redis.key",
            "a Redis key",
            "'spill, other'",
        ),
        (
            {"sensor": {"name": "hq sensor #1"}},
            "sensor.name",
            "a host name",
            "'hq sensor #1'",
        ),
        (
            {"metrics": {"listen_address": "localhost"}},
            "metrics.listen_address",
            "an IP address",
            "'localhost'",
        ),
        (
            {"ramdisk": {"mount_point": "mnt/ram"}},
            "ramdisk.mount_point",
            "absolute path",
            "'mnt/ram'",
        ),
        (
            {"sensor": {"rules": {"sources": ["no such source"]}}},
            "sensor.rules.sources[0]",
            "suricata-update source name",
            "'no such source'",
        ),
        (
            {"deploy": {"history_remote": "https://example.org/x.git"}},
            "deploy.history_remote",
            "over SSH",
            "'https://example.org/x.git'",
        ),
        ({"sensor": None, "metrics": 5}, "metrics", "a mapping of keys", "5"),
        ({"sensor": {"workers": None}}, "sensor.workers", "a whole number", "nothing"),
    ],
)
def test_bad_values_name_path_expectation_and_found(
    document: object, path: str, expected: str, found: str
) -> None:
    (problem,) = problems_of(document)
    assert problem.startswith(f"at '{path}': expected ")
    assert expected in problem
    assert problem.endswith(f"got {found}") or f"got {found}" in problem


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        {
            "sensor": {"interface": "eth0/1", "workers": "x", "bogus": 1},
            "metrics": {"port": 0},
            "resources": {"level1": {"threshold_percent": 66}},
        }
    )
    assert len(problems) == 5
    joined = "\n".join(problems)
    for path in (
        "sensor.interface",
        "sensor.workers",
        "sensor.bogus",
        "metrics.port",
        "resources.level1/2/3.threshold_percent",
    ):
        assert f"at '{path}'" in joined


def test_top_level_must_be_a_mapping() -> None:
    (problem,) = problems_of(["sensor"])
    assert problem == "at the top level: expected a mapping of keys, got a list"


def test_thresholds_out_of_order() -> None:
    (problem,) = problems_of({"resources": {"level2": {"threshold_percent": 45}}})
    assert "expected thresholds rising from level 1 to level 3, got 50, 45, 65" in problem


def test_level3_above_hard_limit() -> None:
    (problem,) = problems_of({"resources": {"hard_limit_percent": 60}})
    assert problem.startswith("at 'resources.level3.threshold_percent': expected at most")


def test_hysteresis_must_stay_below_level1() -> None:
    (problem,) = problems_of({"resources": {"hysteresis_percent": 50}})
    assert problem.startswith("at 'resources.hysteresis_percent'")


def test_more_workers_than_cores() -> None:
    small = Machine(cpu_count=2, memory_mb=8192, interfaces=frozenset({"eth0"}))
    (problem,) = problems_of({"sensor": {"workers": 4}}, small)
    assert problem == (
        "at 'sensor.workers': expected at most the 2 CPU cores of this machine, got 4"
    )


def test_core_list_beyond_machine() -> None:
    (problem,) = problems_of({"sensor": {"worker_cores": [2, 7]}})
    assert problem == "at 'sensor.worker_cores[1]': expected a core from 0 to 3, got 7"


def test_memcaps_larger_than_ram() -> None:
    small = Machine(cpu_count=4, memory_mb=1024, interfaces=frozenset({"eth0"}))
    (problem,) = problems_of({"sensor": {"memory_budget_mb": 4096}}, small)
    assert problem.startswith("at 'sensor.memory_budget_mb': expected the memcaps plus")
    assert "1024 MiB" in problem


def test_credentials_need_an_endpoint_and_https() -> None:
    (no_endpoint,) = problems_of({"shipping": {"opensearch": {"auth": "aws"}}})
    assert no_endpoint.startswith("at 'shipping.opensearch.auth': expected none")
    (clear_text,) = problems_of(
        {"shipping": {"opensearch": {"auth": "basic", "endpoint": "http://os.lan:9200"}}}
    )
    assert "credentials are never sent in clear text" in clear_text
    (dashboards,) = problems_of(
        {
            "shipping": {
                "opensearch": {
                    "auth": "basic",
                    "endpoint": "https://os.lan:9200",
                    "dashboards_url": "http://os.lan:5601",
                }
            }
        }
    )
    assert dashboards.startswith("at 'shipping.opensearch.dashboards_url': expected an https URL")


def test_relations_are_skipped_when_their_keys_are_already_wrong() -> None:
    problems = problems_of({"sensor": {"workers": "many"}})
    assert len(problems) == 1


def test_port_clash_and_backoff_order() -> None:
    problems = problems_of(
        {
            "metrics": {"port": 3000},
            "connectivity": {"backoff_initial_seconds": 600, "backoff_max_seconds": 60},
        }
    )
    assert [p.split(":")[0] for p in problems] == [
        "at 'metrics.port'",
        "at 'connectivity.backoff_initial_seconds'",
    ]


def test_evebox_takes_a_port_of_its_own() -> None:
    problems = problems_of({"stack": {"evebox": {"port": 9093}}})
    assert problems == [
        "at 'stack.evebox.port': expected a port other than stack.alertmanager.port, got 9093"
    ]
    assert validate({"stack": {"evebox": {"port": 5637}}})["stack"]["evebox"]["port"] == 5637


def test_missing_interface_is_a_warning_not_an_error() -> None:
    config = validate({"sensor": {"interface": "eth1"}})
    (warning,) = config.warnings
    assert "'eth1' does not exist on this machine now" in warning


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("opensearch_password: [hunter2-very-secret]\n")
    with pytest.raises(ConfigError) as caught:
        load_secrets(secrets)
    assert "hunter2" not in str(caught.value)
    assert "at 'opensearch_password': expected a string, got <redacted>" in str(caught.value)


def test_missing_secrets_file_means_empty_secrets(tmp_path: Path) -> None:
    assert load_secrets(tmp_path / "absent.yaml")["opensearch_password"] == ""


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("sensor:\n  interface: eth0\n workers: 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, PI5)
    (problem,) = caught.value.problems
    assert problem.startswith("at line 3, column 2: not valid YAML")
    assert str(caught.value).startswith(f"{path}: ")


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("sensor:\n  workers: 2\n  workers: 3\n", "x.yaml")
    assert "duplicate key 'workers'" in str(caught.value)
    assert "line 3" in str(caught.value)


def test_parsing_uses_libyaml_where_pyyaml_has_it() -> None:
    """The C parser: faster, and less memory left behind in each controller."""
    assert issubclass(_StrictLoader, yaml.CSafeLoader) == yaml.__with_libyaml__
    assert yaml.__with_libyaml__  # PyYAML's wheels and Debian's python3-yaml both have it


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the file does not exist"):
        load_config(tmp_path / "nope.yaml", PI5)


def test_secrets_come_from_the_systemd_credential_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secrets.yaml").write_text("opensearch_username: from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    secrets = load_secrets(Path("/etc/ids2/root-only-and-unreadable.yaml"))
    assert secrets["opensearch_username"] == "from-credential"


def test_a_service_cannot_run_without_the_one_it_depends_on() -> None:
    (problem,) = problems_of({"stack": {"prometheus": {"enabled": False}}})
    assert problem == (
        "at 'stack.prometheus.enabled': expected true while stack.grafana.enabled is true "
        "(prometheus is its data), got false"
    )
    validate({"stack": {"grafana": {"enabled": False}, "prometheus": {"enabled": False}}})
    # Without Redis, Vector ships without its fallback buffer.
    validate({"stack": {"redis": {"enabled": False}}})
