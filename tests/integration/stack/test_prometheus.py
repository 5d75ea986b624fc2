"""prometheus.yml as rendered, checked by the real promtool."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ids2.common.apply import apply_files
from ids2.common.rendered import ValidationError
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.stack.prometheus import check_with_promtool, render

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool"),
]
MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))


def test_rendered_config_passes_promtool_and_scrapes_the_exporter(tmp_path: Path) -> None:
    config = validate_document({"metrics": {"port": 10123}}, "test", MACHINE)
    report = apply_files(render(config), tmp_path)
    assert report.notes["prometheus.yml"] == "promtool check config: ok"
    document = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in document["scrape_configs"]
    }
    assert targets["ids2"] == ["127.0.0.1:10123"]
    assert set(targets) == {"ids2", "vector", "redis", "prometheus"}


def test_promtool_refusal_carries_its_message(tmp_path: Path) -> None:
    bad = tmp_path / "prometheus.yml"
    bad.write_text("global:\n  scrape_interval: often\n")
    with pytest.raises(ValidationError, match=r"promtool check config: .*often"):
        check_with_promtool(bad)
