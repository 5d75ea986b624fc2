"""Checking a rendered file with the tool in its service's image when the host has none.

The sensor runs Prometheus, Alertmanager and Vector as containers of pinned images that
carry promtool, amtool and `vector validate`; the host usually has none of these tools (the
package does not depend on them). So when a tool is not on PATH, the same check runs in a
throwaway container of the image stack/docker-compose.yml pins for the service: no network,
the candidate files bind-mounted read-only where the service mounts them, the entrypoint
replaced by the tool. The image must already be there: nothing is pulled for a check.

This is the docker SDK, as StackManager uses it: only root's short-lived deploy and render
processes get here, and they load the SDK for the stack anyway. The engine CLI would add a
dependency on which CLI is installed (docker, podman or none) for the same API calls.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ids2.common.rendered import ValidationError, check_with_tool
from ids2.common.stack_files import stack_dir

log = logging.getLogger(__name__)
PING_TIMEOUT_SECONDS = 10
CHECK_TIMEOUT_SECONDS = 120
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")
# What runc and crun say, through Docker and podman alike, when the entrypoint is not in
# the image: `exec: "vector": executable file not found in $PATH`, and crun's
# "executable file `vector` not found in $PATH".
_NO_EXECUTABLE = re.compile(r"executable file .*not found|not found in \$PATH")


@dataclass(frozen=True)
class ImageCheck:
    """One tool's check of rendered files, as it runs in the image of a compose service.

    `files` are keyed by the name the service's volume mounts them from (the last part of
    its source, e.g. "prometheus.yml" for ${IDS2_RENDERED_DIR}/prometheus.yml); an argument
    equal to such a name becomes that file's path in the container.
    """

    service: str
    tool: str
    arguments: tuple[str, ...]
    files: Mapping[str, Path]
    label: str
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    """What the compose file says about one service: its pinned image, user and mounts."""

    image: str
    user: str | None
    mount_points: dict[str, str]  # source name -> path in the container

    @classmethod
    def from_compose(cls, name: str, compose_file: Path | None = None) -> Service:
        """Read service `name` of stack/docker-compose.yml (or `compose_file`)."""
        path = compose_file or stack_dir() / "docker-compose.yml"
        service = yaml.safe_load(path.read_text(encoding="utf-8"))["services"][name]
        mount_points = {}
        for volume in service.get("volumes", []):
            parts = _INTERPOLATION.sub("", volume).split(":")
            if len(parts) >= 2:
                mount_points[parts[0].rstrip("/").rpartition("/")[2]] = parts[1]
        user = service.get("user")
        return cls(service["image"], None if user is None else str(user), mount_points)

    def mounts(self, check: ImageCheck) -> dict[str, dict[str, str]]:
        """The SDK's volumes argument: each file of `check`, read-only at its mount point."""
        unknown = set(check.files) - set(self.mount_points)
        if unknown:
            raise ValidationError(
                f"{check.label}: service {check.service} mounts no {', '.join(sorted(unknown))}"
            )
        return {
            str(host): {"bind": self.mount_points[name], "mode": "ro"}
            for name, host in check.files.items()
        }

    def command(self, check: ImageCheck) -> list[str]:
        """The tool's arguments, with the files at their paths in the container."""
        points = {name: self.mount_points[name] for name in check.files}
        return [points.get(argument, argument) for argument in check.arguments]


def host_command(check: ImageCheck) -> list[str]:
    """The check as a command on the host, with the files at their own paths."""
    files = {name: str(path) for name, path in check.files.items()}
    return [check.tool, *(files.get(argument, argument) for argument in check.arguments)]


def check_on_host_or_in_image(check: ImageCheck, on_host: Callable[[], str] | None = None) -> str:
    """The check on the host when the tool is on PATH (`on_host()`, by default the tool on
    the files where they are), else the check in the service's image.

    Returns the check's note: '... ok', or 'not checked: ...' naming what is missing when
    neither the tool nor the image and an engine are there. Raises ValidationError with the
    tool's own message when the tool refuses, on the host or in the container.
    """
    if shutil.which(check.tool) is not None:
        return on_host() if on_host else check_with_tool(host_command(check), check.label)
    return check_in_image(check)


def missing_note(tool: str, reason: str) -> str:
    """'not checked: TOOL is not installed and REASON': what a check lacked on this machine."""
    return f"not checked: {tool} is not installed and {reason}"


_MISSING_NOTE = re.compile(
    r"not checked: \S+ is not installed and (image \S+ is not present|no Docker engine answers)"
)


def lacked_image(note: str) -> bool:
    """Whether a check's note (alone or among others) says the check could not run for want
    of its image or an engine (not of a tool the image lacks): deploy checks such files
    again once the images are there."""
    return _MISSING_NOTE.search(note) is not None


def check_in_image(check: ImageCheck) -> str:
    """Run `check` in a throwaway container of its service's pinned image; see
    check_on_host_or_in_image for what it returns and raises."""
    import docker  # heavy: only the processes that render and deploy pay for it

    service = Service.from_compose(check.service)
    try:
        client = docker.from_env(timeout=PING_TIMEOUT_SECONDS)
        client.ping()
    except docker.errors.DockerException as error:
        return missing_note(check.tool, f"no Docker engine answers ({error})")
    try:
        client.api.timeout = CHECK_TIMEOUT_SECONDS  # the engine answers: give it time
        try:
            client.images.get(service.image)
        except docker.errors.ImageNotFound:
            return missing_note(check.tool, f"image {service.image} is not present")
        except docker.errors.DockerException as error:
            message = f"{check.label}: cannot look for {service.image}: {error}"
            raise ValidationError(message) from None
        return _run(client, service, check)
    finally:
        client.close()


def _run(client: Any, service: Service, check: ImageCheck) -> str:
    import docker

    label = f"{check.label} (in {service.image})"
    command, volumes = service.command(check), service.mounts(check)
    try:
        container = client.containers.create(
            service.image,
            entrypoint=[check.tool],
            command=command,
            environment=dict(check.environment),
            volumes=volumes,
            network_mode="none",
            user=service.user,
        )
    except docker.errors.DockerException as error:
        raise ValidationError(f"{label}: the engine could not create it: {error}") from None
    try:
        try:
            container.start()
        except docker.errors.APIError as error:
            if not_in_image(str(error)):
                return missing_note(check.tool, f"image {service.image} has no {check.tool}")
            raise ValidationError(f"{label}: the engine could not start it: {error}") from None
        status = container.wait(timeout=CHECK_TIMEOUT_SECONDS)["StatusCode"]
        output = container.logs(stdout=False, stderr=True) + container.logs(stderr=False)
    except docker.errors.DockerException as error:
        raise ValidationError(f"{label}: {error}") from None
    except OSError as error:  # requests' timeouts and connection errors derive from it
        raise ValidationError(f"{label}: did not finish: {error}") from None
    finally:
        _remove(container)
    if status != 0:
        raise ValidationError(f"{label}: {output.decode(errors='replace').strip()}")
    return f"{label}: ok"


def not_in_image(engine_error: str) -> bool:
    """Whether the engine could not start a container because its entrypoint is not in
    the image (a stand-in, or an image of another layout), as opposed to any other failure."""
    return _NO_EXECUTABLE.search(engine_error) is not None


def _remove(container: Any) -> None:
    """Remove the throwaway container; one left behind is logged, not the check's failure."""
    import docker

    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.DockerException as error:
        log.warning("could not remove the check container %s: %s", container.id[:12], error)
