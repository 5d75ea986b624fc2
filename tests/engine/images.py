"""The stack's images for the engine tests, built from Debian packages with no registry.

One Debian 12 minbase root file system (mmdebstrap) holds Redis, Prometheus, Alertmanager,
the Redis exporter and busybox; it is cached as a .tar.zst under $IDS2_ENGINE_CACHE (default
~/.cache/ids2-engine-tests), named after a hash of its recipe, so only the first run pays
for it. Each directory under images/ is one small image built on it: the real Redis,
Prometheus, Alertmanager and Redis exporter laid out like their upstream images, and STAND-INS for
Vector, Grafana and EveBox, which Debian does not package (their Dockerfiles say what they do).
Each image is also tagged with the name stack/docker-compose.yml gives its service, so the
shipped compose file runs it and never pulls.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from pathlib import Path

import yaml

from tests.engine.engine import Engine

IMAGES_DIR = Path(__file__).with_name("images")
COMPOSE_FILE = Path(__file__).parents[2] / "stack" / "docker-compose.yml"
LOCAL_IMAGES = {
    "vector": "ids2-standin-vector",
    "redis": "ids2-test-redis",
    "redis-exporter": "ids2-test-redis-exporter",
    "prometheus": "ids2-test-prometheus",
    "grafana": "ids2-standin-grafana",
    "alertmanager": "ids2-test-alertmanager",
    "evebox": "ids2-standin-evebox",
}
PACKAGES = (
    "redis-server",
    "prometheus",
    "prometheus-alertmanager",
    "prometheus-redis-exporter",
    "busybox-static",
)
MIRROR = "http://deb.debian.org/debian"
DPKG_OPTIONS = (
    "force-unsafe-io",
    "path-exclude=/usr/share/doc/*",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/locale/*",
    # Prometheus's web UI libraries: the API and health endpoints do not need them.
    "path-exclude=/usr/share/javascript/*",
)
CUSTOMIZE_HOOKS = (
    'ln -s /bin/busybox "$1/usr/local/bin/wget"',
    'mkdir "$1/prometheus" && chown nobody:nogroup "$1/prometheus"',
)


class ImageError(Exception):
    """mmdebstrap or an image build failed; the message carries their output."""


def cache_dir() -> Path:
    """$IDS2_ENGINE_CACHE, or ~/.cache/ids2-engine-tests."""
    configured = os.environ.get("IDS2_ENGINE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "ids2-engine-tests"


def rootfs_key() -> str:
    """A short hash of everything that decides the root file system's content."""
    recipe = repr((PACKAGES, MIRROR, DPKG_OPTIONS, CUSTOMIZE_HOOKS))
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def cached_rootfs(directory: Path) -> Path:
    """The root file system's .tar.zst in `directory`, built first when missing (concurrent
    callers wait for one build; older builds are removed). Raises ImageError."""
    directory.mkdir(parents=True, exist_ok=True)
    tarball = directory / f"stack-rootfs-{rootfs_key()}.tar.zst"
    with (directory / "stack-rootfs.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists():
            return tarball
        partial = tarball.with_name(f"partial-{tarball.name}")  # mmdebstrap reads the suffix
        command = [
            "mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar", "--quiet",
            f"--include={','.join(PACKAGES)}",
            *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
            *(f"--customize-hook={hook}" for hook in CUSTOMIZE_HOOKS),
            "bookworm", str(partial), MIRROR,
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise ImageError(f"mmdebstrap exited {result.returncode}:\n{result.stderr[-3000:]}")
        partial.rename(tarball)
        for older in directory.glob("stack-rootfs-*.tar.zst"):
            if older != tarball:
                older.unlink()
    return tarball


def build_stack_images(engine: Engine) -> dict[str, str]:
    """Build every image into `engine` and tag each with its compose name; those names by
    service. Raises ImageError."""
    base = f"localhost/ids2-test-base:{rootfs_key()}"
    result = subprocess.run(
        ["podman", "import", "--quiet", str(cached_rootfs(cache_dir())), base],
        env=engine.environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise ImageError(f"podman import exited {result.returncode}: {result.stderr}")
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    compose_names = {}
    for service, local in LOCAL_IMAGES.items():
        # rm and forcerm: build containers left behind would block removing the image.
        image, _ = engine.client.images.build(
            path=str(IMAGES_DIR),
            dockerfile=f"{local}/Dockerfile",
            tag=f"localhost/{local}:latest",
            buildargs={"BASE": base},
            rm=True,
            forcerm=True,
        )
        repository, _, tag = services[service]["image"].rpartition(":")
        image.tag(repository, tag)
        compose_names[service] = services[service]["image"]
    return compose_names
