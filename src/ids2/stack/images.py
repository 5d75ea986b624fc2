"""The stack's pinned images: which are missing from the engine, pulled before compose runs.

compose would pull them too, but its failure is a page of progress and per-container
errors; pulled here first, an image that cannot be had is named in one line with the
engine's reason (on a machine with no registry: the lookup that failed), and nothing of the
stack is created half-way.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from ids2.stack.compose import StackError

MAX_REASON_CHARS = 300


def service_images(compose_file: Path, left_out: Collection[str] = ()) -> dict[str, str]:
    """Each service's image as `compose_file` pins it, but for the services `left_out`."""
    services = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]
    return {
        name: str(service["image"])
        for name, service in services.items()
        if name not in left_out and "image" in service
    }


def missing_images(client: Any, images: Collection[str]) -> list[str]:
    """The images the engine does not have, in the order given, each once."""
    import docker

    missing = []
    for image in dict.fromkeys(images):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
        except docker.errors.DockerException as error:
            raise StackError(f"cannot look for image {image}: {error}") from None
    return missing


def pull_missing(client: Any, images: Collection[str]) -> list[str]:
    """Pull each image the engine lacks; the ones pulled.

    StackError, one line: the first image that could not be pulled with the engine's
    reason, and the others still missing.
    """
    missing = missing_images(client, images)
    for index, image in enumerate(missing):
        error = _pull(client, image)
        if error is not None:
            raise StackError(not_pulled(image, error, missing[index + 1 :]))
    return missing


def _pull(client: Any, image: str) -> str | None:
    """Pull `image`; the engine's error, or None once the image is there.

    The engines answer a pull that fails with 200 and an error in the progress stream
    (podman: the registry it could not reach), which the SDK's images.pull() passes over
    and then fails looking for the image: so the stream is read here.
    """
    import docker

    repository, _, tag = image.rpartition(":")
    try:
        for progress in client.api.pull(repository, tag=tag, stream=True, decode=True):
            if progress.get("error"):
                return str(progress["error"])
        client.images.get(image)
    except docker.errors.DockerException as error:
        return str(error)
    return None


def not_pulled(image: str, error: str, others: Collection[str]) -> str:
    """'image X is not here and cannot be pulled: REASON (also missing: Y, Z)'."""
    reason = " ".join(error.split())[:MAX_REASON_CHARS]
    text = f"image {image} is not here and cannot be pulled: {reason}"
    return text + (f" (also missing: {', '.join(others)})" if others else "")
