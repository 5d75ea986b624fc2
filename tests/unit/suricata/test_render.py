"""The Suricata renderer as a pure function: cores, rings, memcaps, outputs."""

from __future__ import annotations

from pathlib import Path

import yaml

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.render import (
    MEMCAP_SHARES,
    SuricataFacts,
    cpu_sets,
    outputs_moved_to,
    render_text,
    ring_sizes,
)

PI5 = Machine(4, 8192, frozenset({"eth0"}))


def rendered(document: dict[str, object], facts: SuricataFacts) -> dict[str, object]:
    text = render_text(validate_document(document, "t", PI5), facts)
    assert text.startswith("%YAML 1.1\n---\n")
    result: dict[str, object] = yaml.safe_load(text.split("---", 1)[1])
    return result


def test_pi5_cores_management_0_1_workers_2_3() -> None:
    assert cpu_sets(2, 4, [], []) == ([0, 1], [2, 3])
    assert cpu_sets(1, 4, [], []) == ([0, 1], [2])
    assert cpu_sets(2, 2, [], []) == ([0, 1], [0, 1])
    assert cpu_sets(2, 4, [3], [0, 1]) == ([3], [0, 1])


def test_memcaps_share_the_budget_exactly() -> None:
    assert abs(sum(MEMCAP_SHARES.values()) - 1.0) < 1e-9
    config = rendered({"sensor": {"memory_budget_mb": 1000}}, SuricataFacts(4, False, "sensor-a"))
    assert config["flow"]["memcap"] == "200mb"  # type: ignore[index]
    assert config["stream"]["reassembly"]["memcap"] == "350mb"  # type: ignore[index]


def test_rings_grow_with_the_budget_and_shrink_with_workers() -> None:
    assert ring_sizes(512, 2)[0] > ring_sizes(512, 4)[0] > 0
    assert ring_sizes(4096, 1)[0] == 1 << 16
    assert ring_sizes(64, 8)[0] == 2048


def test_mpm_follows_the_binary() -> None:
    assert rendered({}, SuricataFacts(4, True, "sensor-a"))["mpm-algo"] == "hs"
    assert rendered({}, SuricataFacts(4, False, "sensor-a"))["mpm-algo"] == "ac-ks"


def test_capture_and_eve_follow_the_config() -> None:
    config = rendered(
        {
            "sensor": {"interface": "eth1", "bpf_filter": "not port 22"},
            "ramdisk": {"mount_point": "/mnt/ram", "rotate_interval_seconds": 30},
        },
        SuricataFacts(4, False, "sensor-a"),
    )
    capture = config["af-packet"][0]  # type: ignore[index]
    assert capture["interface"] == "eth1" and capture["bpf-filter"] == "not port 22"
    assert capture["cluster-type"] == "cluster_flow" and capture["tpacket-v3"] is True
    eve = config["outputs"][0]["eve-log"]  # type: ignore[index]
    assert eve["filename"] == "/mnt/ram/eve-%Y%m%dT%H%M%S.json"
    assert eve["rotate-interval"] == "30s" and eve["community-id"] is True
    alerts = config["outputs"][1]["eve-log"]  # type: ignore[index]
    assert alerts["filename"] == "/mnt/ram/alerts.json.%s"
    assert alerts["rotate-interval"] == "30s" and alerts["community-id"] is True
    assert [list(kind) for kind in alerts["types"]] == [["alert"]]
    options = alerts["types"][0]["alert"]
    assert options["payload"] and options["packet"] and options["metadata"]
    assert options["tagged-packets"] is False  # those would be events of type packet
    assert config["unix-command"]["enabled"] is True  # type: ignore[index]
    assert config["stats"]["interval"] == 30  # type: ignore[index]
    assert config["detect"]["profile"] == "medium"  # type: ignore[index]


def test_pcap_log_is_off_by_default_and_one_key_turns_it_on() -> None:
    facts = SuricataFacts(4, False, "sensor-a")
    outputs = rendered({}, facts)["outputs"]
    assert all("pcap-log" not in output for output in outputs)  # type: ignore[attr-defined]
    config = rendered({"sensor": {"pcap": {"enabled": True}}}, facts)
    pcap = config["outputs"][2]["pcap-log"]  # type: ignore[index]
    assert pcap["conditional"] == "alerts" and pcap["dir"] == "/var/lib/ids2/pcap"
    assert pcap["compression"] == "lz4" and pcap["mode"] == "normal"
    assert pcap["max-files"] * int(pcap["limit"].removesuffix("mb")) == 256  # MiB in all


def test_pcap_ring_follows_the_config() -> None:
    settings = {"enabled": True, "directory": "/srv/pcap", "max_files": 3, "file_size_mb": 5}
    config = rendered(
        {"sensor": {"pcap": {**settings, "compression": "none"}}},
        SuricataFacts(4, False, "sensor-a"),
    )
    pcap = config["outputs"][2]["pcap-log"]  # type: ignore[index]
    assert (pcap["dir"], pcap["max-files"], pcap["limit"]) == ("/srv/pcap", 3, "5mb")
    assert pcap["compression"] == "none"


def test_run_as_names_the_user_only_where_it_exists() -> None:
    assert "run-as" not in rendered({}, SuricataFacts(4, False, "sensor-a"))
    config = rendered({}, SuricataFacts(4, False, "sensor-a", run_as="suricata"))
    assert config["run-as"] == {"user": "suricata", "group": "suricata"}


def test_suricata_t_checks_the_config_without_dropping_privileges(tmp_path: Path) -> None:
    text = render_text(
        validate_document({}, "t", PI5), SuricataFacts(4, False, "sensor-a", run_as="suricata")
    )
    tested = yaml.safe_load(outputs_moved_to(text, str(tmp_path)).split("---", 1)[1])
    assert "run-as" not in tested
    assert tested["outputs"][0]["eve-log"]["filename"].startswith(str(tmp_path))
