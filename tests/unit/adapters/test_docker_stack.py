"""What StackManager makes of the compose CLI's output when it fails."""

from __future__ import annotations

from ids2.adapters.docker_stack import compose_errors

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


def test_output_without_error_lines_is_kept_by_its_end() -> None:
    assert compose_errors("unknown flag: --compatibility\n" + "x" * 3000) == "x" * 2000
    assert compose_errors("  unknown flag: --compatibility\n") == "unknown flag: --compatibility"
