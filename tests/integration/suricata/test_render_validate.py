"""Rendered suricata.yaml variants, each accepted by the real `suricata -T`; bad ones refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.suricata.render import SuricataFacts, check_with_suricata, render_text

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("suricata") is None, reason="needs Suricata 7"),
]
PI5 = Machine(4, 8192, frozenset({"eth0"}))


@pytest.mark.parametrize(
    "sensor",
    [
        {},
        {"workers": 1},
        {"workers": 4, "worker_cores": [0, 1, 2, 3]},
        {"memory_budget_mb": 1536},
        {"memory_budget_mb": 96},
        {"bpf_filter": "not (host 10.0.0.5 and port 22)"},
        {"home_networks": ["10.1.0.0/16", "fd00::/8"], "management_cores": [0]},
        {"pcap": {"enabled": True, "directory": "/nonexistent/ids2-pcap"}},
        {"pcap": {"enabled": True, "compression": "none", "file_size_mb": 4, "max_files": 2}},
    ],
    ids=[
        "defaults",
        "1-worker",
        "4-workers",
        "big-memcaps",
        "small-memcaps",
        "bpf",
        "ipv6",
        "pcap-ring-not-made-yet",
        "pcap-uncompressed",
    ],
)
def test_variants_pass_suricata_t(sensor: dict[str, Any], tmp_path: Path) -> None:
    config = validate_document(
        {"sensor": sensor, "ramdisk": {"mount_point": str(tmp_path)}}, "test", PI5
    )
    text = render_text(config, SuricataFacts(cpu_count=4, hyperscan=False, hostname="sensor-a"))
    report = apply_files([RenderedFile("suricata.yaml", text, check_with_suricata)], tmp_path)
    assert report.notes["suricata.yaml"].startswith("suricata -T: ok")
    rendered = yaml.safe_load(text.split("---", 1)[1])
    assert rendered["af-packet"][0]["threads"] == config["sensor"]["workers"]


def test_a_config_suricata_refuses_is_not_installed(tmp_path: Path) -> None:
    config = validate_document({"ramdisk": {"mount_point": str(tmp_path)}}, "test", PI5)
    good = render_text(config, SuricataFacts(4, False, "sensor-a"))
    apply_files([RenderedFile("suricata.yaml", good, check_with_suricata)], tmp_path)
    bad = good.replace("cluster_flow", "cluster_nonsense").replace(
        "mpm-algo: ac-ks", "mpm-algo: no-such-algo"
    )
    with pytest.raises(ValidationError, match="suricata -T refused it"):
        apply_files([RenderedFile("suricata.yaml", bad, check_with_suricata)], tmp_path)
    assert (tmp_path / "suricata.yaml").read_text() == good


def test_the_installed_ruleset_is_tested_with_the_config(tmp_path: Path) -> None:
    config = validate_document({"ramdisk": {"mount_point": str(tmp_path)}}, "test", PI5)
    path = tmp_path / "suricata.yaml"
    path.write_text(render_text(config, SuricataFacts(4, False, "sensor-a")))
    rules = tmp_path / "rules"
    rules.mkdir()
    assert check_with_suricata(path, rules) == "suricata -T: ok (no ruleset installed yet)"
    (rules / "suricata.rules").write_text('alert tcp any any -> any any (msg:"x"; sid:1;)\n')
    assert check_with_suricata(path, rules) == "suricata -T: ok"
    (rules / "suricata.rules").write_text("alert tcp any any -> any any (msg:broken\n")
    with pytest.raises(ValidationError, match="suricata -T refused it"):
        check_with_suricata(path, rules)


def test_a_bad_threshold_file_is_refused_before_the_first_rule_update(tmp_path: Path) -> None:
    """Suricata reads threshold.config only once a signature is loaded: with no ruleset the
    check loads a placeholder rule, or a bad line would pass until the first update."""
    config = validate_document({"ramdisk": {"mount_point": str(tmp_path)}}, "test", PI5)
    path = tmp_path / "suricata.yaml"
    path.write_text(render_text(config, SuricataFacts(4, False, "sensor-a")))
    threshold = tmp_path / "threshold.config"
    threshold.write_text("suppress gen_id 1, sig_id 5, track by_nobody, ip 10.0.0.5\n")
    with pytest.raises(ValidationError, match="by_nobody"):
        check_with_suricata(path, tmp_path / "no-rules", threshold)
    threshold.write_text("suppress gen_id 1, sig_id 5, track by_src, ip 10.0.0.5\n")
    assert check_with_suricata(path, tmp_path / "no-rules", threshold).startswith("suricata -T: ok")


def test_testing_a_config_leaves_no_file_on_the_ram_disk(tmp_path: Path) -> None:
    """-T opens the outputs; checked in place it left an empty EVE file per check."""
    ramdisk = tmp_path / "ram"
    ramdisk.mkdir()
    config = validate_document({"ramdisk": {"mount_point": str(ramdisk)}}, "test", PI5)
    path = tmp_path / "suricata.yaml"
    path.write_text(render_text(config, SuricataFacts(4, False, "sensor-a")))
    assert check_with_suricata(path, tmp_path / "rules").startswith("suricata -T: ok")
    assert list(ramdisk.iterdir()) == []
