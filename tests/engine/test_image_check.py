"""Rendered files checked by the tool in their service's image when the host has none.

PATH names an empty directory, so promtool, amtool and vector are not installed as far as
ids2 can tell; the engine holds the images stack/docker-compose.yml pins (built from Debian's
prometheus and prometheus-alertmanager, which carry promtool and amtool; Vector's is a
stand-in without a vector binary).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import yaml

from ids2.common import image_check
from ids2.common.apply import apply_files
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.common.stack_files import stack_dir
from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.deploy.history import ConfigHistory
from ids2.deploy.recheck import check_applied, check_pending, remember_unchecked
from ids2.deploy.runner import DeployError
from ids2.notify import render as notify
from ids2.shipping import vector
from ids2.stack import prometheus
from tests.engine.engine import LIBPOD_API, Engine
from tests.integration.shipping.test_vector import MODES
from tests.integration.shipping.test_vector import config as vector_config
from tests.unit.notify.test_render import MAIL, config_with

pytestmark = pytest.mark.engine
MACHINE = Machine(cpu_count=4, memory_mb=8192, interfaces=frozenset({"eth0"}))
PROMETHEUS_IMAGE = "docker.io/prom/prometheus:v2.53.2"
ALERTMANAGER_IMAGE = "docker.io/prom/alertmanager:v0.28.1"
VECTOR_IMAGE = "docker.io/timberio/vector:0.50.0-debian"


@pytest.fixture
def no_host_tools(
    engine: Engine, stack_images: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """PATH without promtool, amtool or vector; DOCKER_HOST on the engine, which has the
    stack's images. After the test, no check container is left."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    assert stack_images["prometheus"] == PROMETHEUS_IMAGE  # the compose file's pins
    assert stack_images["alertmanager"] == ALERTMANAGER_IMAGE
    yield engine
    left = [
        container.name
        for container in engine.client.containers.list(all=True)
        if (container.attrs["Config"].get("Entrypoint") or [""])[0] in {"promtool", "amtool"}
    ]
    assert not left, f"check containers left behind: {left}"


def test_a_good_prometheus_yml_is_checked_by_the_images_promtool(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    config = validate_document({"metrics": {"port": 10123}}, "test", MACHINE)
    report = apply_files(prometheus.render(config), tmp_path / "rendered")
    assert report.notes["prometheus.yml"] == f"promtool check config (in {PROMETHEUS_IMAGE}): ok"
    assert report.changed == ["prometheus.yml"]


def test_a_prometheus_yml_the_images_promtool_refuses_is_not_applied(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    rendered = tmp_path / "rendered"
    config = validate_document({}, "test", MACHINE)
    apply_files(prometheus.render(config), rendered)
    running = (rendered / "prometheus.yml").read_text()
    bad = RenderedFile(
        "prometheus.yml", "global:\n  scrape_interval: often\n", prometheus.check_with_promtool
    )
    with pytest.raises(
        ValidationError,
        match=rf"(?s)prometheus\.yml: promtool check config \(in {PROMETHEUS_IMAGE}\): .*often",
    ):
        apply_files([bad], rendered)
    assert (rendered / "prometheus.yml").read_text() == running


RECEIVERS = {
    "mail": {**MAIL, "username": "ids2"},
    "hook": {"type": "webhook", "url": "https://ntfy.example.org/ids2"},
}


def test_alertmanager_yml_and_template_are_checked_by_the_images_amtool(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    config = config_with({"receivers": RECEIVERS}, tmp_path)
    report = apply_files(notify.render(config), tmp_path / "rendered")
    note = f"amtool check-config (in {ALERTMANAGER_IMAGE}): ok"
    assert report.notes == {"alertmanager.yml": note, "ids2.tmpl": note}
    assert (tmp_path / "rendered" / "alertmanager.yml").stat().st_mode & 0o777 == 0o600


def test_an_alertmanager_yml_the_images_amtool_refuses_is_not_applied(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    rendered = tmp_path / "rendered"
    apply_files(notify.render(config_with({"receivers": RECEIVERS}, tmp_path)), rendered)
    running = (rendered / "alertmanager.yml").read_text()
    text = yaml.safe_dump({"route": {"receiver": "nowhere"}, "receivers": []})
    bad = RenderedFile("alertmanager.yml", text, notify.check_config, mode=0o600)
    with pytest.raises(
        ValidationError, match=r"(?s)amtool check-config \(in .*undefined receiver \"nowhere\""
    ):
        apply_files([bad], rendered)
    assert (rendered / "alertmanager.yml").read_text() == running


def test_a_template_the_images_amtool_refuses_is_not_applied(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    rendered = tmp_path / "rendered"
    apply_files(notify.render(config_with({"receivers": RECEIVERS}, tmp_path)), rendered)
    running = (rendered / "ids2.tmpl").read_text()
    bad = RenderedFile("ids2.tmpl", '{{ define "ids2.title" }}', notify.check_template)
    with pytest.raises(ValidationError, match=r"ids2\.tmpl: amtool check-config \(in "):
        apply_files([bad], rendered)
    assert (rendered / "ids2.tmpl").read_text() == running


def test_vectors_stand_in_image_has_no_vector_and_the_note_says_so(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    pytest.importorskip("vrl_python")
    report = apply_files(vector.render(vector_config(tmp_path, MODES["spool"])), tmp_path / "out")
    assert report.notes["vector.toml"].endswith(
        f"not checked: vector is not installed and image {VECTOR_IMAGE} has no vector"
    )


def test_an_image_that_is_not_present_is_named_and_never_pulled(
    no_host_tools: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = "docker.io/prom/prometheus:v0.0.0-absent"
    stack = tmp_path / "stack"
    stack.mkdir()
    compose = yaml.safe_load((stack_dir() / "docker-compose.yml").read_text())
    compose["services"]["prometheus"]["image"] = absent
    (stack / "docker-compose.yml").write_text(yaml.safe_dump(compose))
    monkeypatch.setattr(image_check, "stack_dir", lambda: stack)
    config = validate_document({}, "test", MACHINE)
    report = apply_files(prometheus.render(config), tmp_path / "rendered")
    assert report.notes["prometheus.yml"] == (
        f"not checked: promtool is not installed and image {absent} is not present"
    )
    with pytest.raises(docker.errors.ImageNotFound):
        no_host_tools.client.images.get(absent)


def test_the_check_container_has_no_network_and_reads_its_files_only(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    candidate = tmp_path / "prometheus.yml"
    candidate.write_text("global: {}\n")
    probe = (
        "echo changed > /etc/prometheus/prometheus.yml; cat /etc/prometheus/prometheus.yml; "
        "cut -d: -f1 /proc/net/dev | tail -n +3; id -u; exit 1"
    )
    check = image_check.ImageCheck(
        "prometheus", "sh", ("-c", probe), {"prometheus.yml": candidate}, "probe"
    )
    with pytest.raises(ValidationError) as refused:
        image_check.check_in_image(check)
    message = str(refused.value)
    assert "Read-only file system" in message
    lines = [line.strip() for line in message.split("\n")[1:]]
    assert lines == ["global: {}", "lo", "65534"]  # only loopback; nobody, as the service runs
    assert candidate.read_text() == "global: {}\n"


@contextmanager
def image_absent(engine: Engine, name: str) -> Iterator[None]:
    """`name` untagged in the engine for the block, tagged again after it (as phase D's
    pull or load brings it): the image itself stays under its local name."""
    image = engine.client.images.get(name)
    repository, tag = name.rsplit(":", 1)
    api = engine.client.api
    url = f"{api.base_url}{LIBPOD_API}/images/{image.id}/untag"
    api.post(url, params={"repo": repository, "tag": tag}).raise_for_status()
    try:
        yield
    finally:
        image.tag(repository, tag)


def test_files_applied_before_their_image_came_are_checked_once_it_is_here(
    no_host_tools: Engine, tmp_path: Path
) -> None:
    """Phase B without the image applies prometheus.yml unchecked; phase D, once the image
    is there, checks it; a refused one is replaced by the history's version, or, with no
    history (a first deploy), fails the phase with promtool's message."""
    # The config history needs git, not among the tools this PATH hides.
    (tmp_path / "empty-bin" / "git").symlink_to("/usr/bin/git")
    rendered, history = tmp_path / "rendered", tmp_path / "history"
    config = validate_document({"metrics": {"port": 10123}}, "test", MACHINE)
    with image_absent(no_host_tools, PROMETHEUS_IMAGE):
        report = apply_files(prometheus.render(config), rendered)
    assert report.notes["prometheus.yml"] == (
        f"not checked: promtool is not installed and image {PROMETHEUS_IMAGE} is not present"
    )
    # Phase B keeps the name; phase D, in this run or one of its own, checks it.
    assert remember_unchecked(tmp_path / "state", report.notes) == ["prometheus.yml"]
    checked = check_pending(rendered, history, tmp_path / "state")
    assert checked == {"prometheus.yml": f"promtool check config (in {PROMETHEUS_IMAGE}): ok"}
    good = (rendered / "prometheus.yml").read_text()
    ConfigHistory(history).record(rendered, ["prometheus.yml"], "deploy: configs verified")

    bad = RenderedFile("prometheus.yml", "global:\n  scrape_interval: often\n", None)
    with image_absent(no_host_tools, PROMETHEUS_IMAGE):
        apply_files([bad], rendered)
    with pytest.raises(DeployError, match=r"(?s)no checked version in the config history.*often"):
        check_applied(["prometheus.yml"], rendered, tmp_path / "no-history")
    assert (rendered / "prometheus.yml").read_text() == bad.content, "nothing to restore"
    restored = check_applied(["prometheus.yml"], rendered, history)["prometheus.yml"]
    assert restored.startswith(f"refused (promtool check config (in {PROMETHEUS_IMAGE}): ")
    assert restored.endswith("restored the version in the config history")
    assert (rendered / "prometheus.yml").read_text() == good
