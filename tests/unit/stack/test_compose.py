"""What StackManager makes of the compose CLI's output when it fails, and of an engine that
refuses to remove a container."""

from __future__ import annotations

import pytest
from docker.errors import APIError, DockerException, NotFound

from ids2.stack.compose import StackError, compose_errors, remove_by_force

# docker-compose 1.29.2's stderr for `up -d` when an image is missing and cannot be pulled.
MISSING_IMAGE = """\
Creating network "ids2_internal" with the default driver
Pulling redis (docker.io/library/redis:7.2.5-alpine)...
Creating ids2_redis_1 ...
Creating ids2_redis_1 ... error
ERROR: for ids2_redis_1  Cannot create container for service redis: no such image: x: not known
Creating ids2_grafana_1 ... done
ERROR: for redis  Cannot create container for service redis: no such image: x: not known
ERROR: Encountered errors while bringing up the project.
"""


def test_each_compose_error_is_said_once_without_the_progress_lines() -> None:
    assert compose_errors(MISSING_IMAGE) == (
        "Cannot create container for service redis: no such image: x: not known; "
        "Encountered errors while bringing up the project."
    )


# docker-compose 2.26's stderr for `up -d` when an image is missing and no registry answers.
MISSING_IMAGE_V2 = """\
 redis Pulling \n\
initializing source docker://redis:7.2.5-alpine: pinging container registry \
registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp: lookup \
registry-1.docker.io: network is unreachable
"""


def test_compose_v2_errors_are_its_unindented_lines() -> None:
    assert compose_errors(MISSING_IMAGE_V2) == (
        "initializing source docker://redis:7.2.5-alpine: pinging container registry "
        'registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
        "registry-1.docker.io: network is unreachable"
    )


def test_output_of_progress_lines_only_is_kept_by_its_end() -> None:
    assert compose_errors(" Container x  Creating\n " + "x" * 3000) == "x" * 2000
    assert compose_errors("  unknown flag: --compatibility\n") == "unknown flag: --compatibility"


class FlakyContainer:
    """Refuses removal with the engine's errors for `refusals` calls, then is removed."""

    name = "ids2_broken_1"

    def __init__(self, *refusals: Exception) -> None:
        self.refusals = list(refusals)
        self.removals = 0

    def remove(self, force: bool) -> None:
        assert force
        self.removals += 1
        if self.refusals:
            raise self.refusals.pop(0)


STATE_IMPROPER = APIError("500 Server Error: container state improper: stopped")


def test_a_container_caught_between_states_is_removed_on_the_next_attempt() -> None:
    container = FlakyContainer(STATE_IMPROPER)
    remove_by_force(container, pause=0)
    assert container.removals == 2


def test_a_container_that_stays_unremovable_is_named_after_the_last_attempt() -> None:
    container = FlakyContainer(STATE_IMPROPER, STATE_IMPROPER, STATE_IMPROPER)
    with pytest.raises(StackError, match=r"cannot remove ids2_broken_1: .*state improper"):
        remove_by_force(container, pause=0)
    assert container.removals == 3


def test_a_container_already_gone_or_an_engine_gone_is_not_retried() -> None:
    gone = FlakyContainer(NotFound("no such container"))
    remove_by_force(gone, pause=0)
    assert gone.removals == 1
    unreachable = FlakyContainer(DockerException("connection refused"))
    with pytest.raises(StackError, match="connection refused"):
        remove_by_force(unreachable, pause=0)
    assert unreachable.removals == 1
