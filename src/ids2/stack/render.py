"""stack.env, stack-limits.yml, grafana.env, grafana-opensearch.yml, ca-bundle.pem and
EveBox's two files (evebox.py): what docker-compose.yml takes from the config.

The compose file itself is static (stack/docker-compose.yml); everything that depends on
/etc/ids2/config.yaml reaches it through these files. stack-limits.yml is a second compose
file with the CPU quotas as YAML integers (the one form compose v1 and v2 both accept), and
is checked by the installed compose itself, with stack.env, before either is applied.
grafana.env carries the generated admin password (and what Grafana's OpenSearch datasource
needs, see grafana.py) and is readable by root only. ca-bundle.pem is a copy of
`shipping.opensearch.ca_bundle` for Vector and Grafana (a placeholder neither reads when
none is set, since compose cannot mount a file only sometimes); the copy
makes a changed bundle a changed rendered file, so the deploy restarts Vector for it and
the history records it.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import tempfile
from pathlib import Path

import yaml

from ids2.common.apply import as_applied
from ids2.common.env_files import env_file
from ids2.common.rendered import RenderedFile, ValidationError
from ids2.common.stack_files import stack_dir
from ids2.config.load import Config, load_secrets
from ids2.errors import ConfigError
from ids2.stack import evebox, grafana
from ids2.stack.compose import StackError, compose_command, compose_errors
from ids2.stack.passwords import EVEBOX_KEY, GRAFANA_KEY, ensure_passwords

CPU_PERIOD_USEC = 100_000
LIMITED_SERVICES = ("vector", "redis", "prometheus", "grafana", "alertmanager", "evebox")
LIMITS_FILE = "stack-limits.yml"
# The env files docker-compose.yml names (compose reads them to check the file).
COMPOSE_ENV_FILES = ("vector.env", "grafana.env", evebox.ENV_FILE)
CA_BUNDLE = "ca-bundle.pem"
NOGROUP = 65534
CA_PLACEHOLDER = "# shipping.opensearch.ca_bundle is not set: Vector uses its system store.\n"


def cpu_quota(cpus: float) -> int:
    """The cpu_quota, in microseconds, of `cpus` cores over the 100 ms period (1 ms at least)."""
    return max(round(cpus * CPU_PERIOD_USEC), 1000)


def compose_files(config: Config) -> list[Path]:
    """The compose files of the stack, in the order compose merges them."""
    return [stack_dir() / "docker-compose.yml", Path(config["paths"]["rendered_dir"]) / LIMITS_FILE]


def aws_dir(config: Config) -> Path:
    """Where SigV4 profiles live: beside the secrets file (/etc/ids2/aws in production)."""
    return Path(config["shipping"]["secrets_file"]).parent / "aws"


def aws_group(config: Config) -> int:
    """The group that may read the AWS directory (root:ids2 0750), for Grafana, which runs
    as its own user; nogroup when there is no such directory, never root's group."""
    try:
        gid = aws_dir(config).stat().st_gid
    except OSError:
        return NOGROUP
    return gid or NOGROUP


def stack_environment(config: Config) -> dict[str, str]:
    """Every variable docker-compose.yml needs, by name."""
    stack, paths = config["stack"], config["paths"]
    values = {
        "IDS2_RENDERED_DIR": paths["rendered_dir"],
        "IDS2_STATE_DIR": paths["state_dir"],
        "IDS2_RAMDISK": config["ramdisk"]["mount_point"],
        "IDS2_SPOOL_DIR": config["shipping"]["spool"]["directory"],
        "IDS2_STACK_DIR": str(stack_dir()),
        "IDS2_AWS_DIR": str(aws_dir(config)),
        "IDS2_AWS_GROUP": str(aws_group(config)),
        "IDS2_REDIS_MAXMEMORY": f"{stack['redis']['memory_mb'] * 4 // 5}mb",
        "IDS2_REDIS_SPILL_KEY": config["shipping"]["redis"]["key"],
        "IDS2_PROMETHEUS_RETENTION": f"{stack['prometheus']['retention_days']}d",
        "IDS2_GRAFANA_ADDRESS": stack["grafana"]["listen_address"],
        "IDS2_GRAFANA_PORT": str(stack["grafana"]["port"]),
        "IDS2_ALERTMANAGER_PORT": str(stack["alertmanager"]["port"]),
        "IDS2_EVEBOX_ADDRESS": stack["evebox"]["listen_address"],
        "IDS2_EVEBOX_PORT": str(stack["evebox"]["port"]),
    }
    for service in LIMITED_SERVICES:
        values[f"IDS2_{service.upper()}_MEMORY"] = f"{stack[service]['memory_mb']}m"
    return values


DISABLED_PROFILE = "disabled"
FOLLOWERS = {"redis": ("redis-exporter",)}
"""Services that exist only for another one, and are left out with it."""


def disabled_services(config: Config) -> list[str]:
    """The services `stack.NAME.enabled: false` leaves out, with those that follow them."""
    disabled = [name for name in LIMITED_SERVICES if not config["stack"][name]["enabled"]]
    return [*disabled, *(f for name in disabled for f in FOLLOWERS.get(name, ()))]


def limits_file(config: Config) -> str:
    """stack-limits.yml: each limited service's cpu_quota over docker-compose.yml's period,
    a profile nobody activates for each disabled service, so compose never starts it, and
    Vector's wait for Redis where Redis runs."""
    services: dict[str, dict[str, object]] = {
        name: {"cpu_quota": cpu_quota(config["stack"][name]["cpus"])} for name in LIMITED_SERVICES
    }
    disabled = disabled_services(config)
    for name in disabled:
        services.setdefault(name, {})["profiles"] = [DISABLED_PROFILE]
    if "redis" not in disabled:
        # Vector's spill-over goes to Redis: it starts once Redis answers. Here rather than
        # in docker-compose.yml, since compose refuses a dependency on a disabled service.
        services["vector"]["depends_on"] = {"redis": {"condition": "service_healthy"}}
    header = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"
    return header + yaml.safe_dump({"services": services}, sort_keys=False)


def check_variables(path: Path) -> str:
    """Every ${VARIABLE} that docker-compose.yml interpolates is defined in the env file."""
    compose_text = (stack_dir() / "docker-compose.yml").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{(\w+)", compose_text))
    defined = {
        line.split("=", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }
    missing = sorted(wanted - defined)
    if missing:
        raise ValidationError(f"docker-compose.yml needs {', '.join(missing)}, not rendered")
    return f"all {len(wanted)} compose variables defined"


def check_ca_bundle(path: Path) -> str:
    """The bundle holds at least one certificate that TLS libraries accept (or is the
    placeholder rendered when none is configured)."""
    if path.read_text(encoding="utf-8", errors="replace") == CA_PLACEHOLDER:
        return "placeholder: no CA bundle configured"
    try:
        context = ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as error:
        raise ValidationError(f"not a PEM CA bundle: {error}") from None
    count = len(context.get_ca_certs())
    return f"{count} CA certificate{'s' if count != 1 else ''}"


def check_with_compose(path: Path) -> str:
    """`compose config -q` on docker-compose.yml with the candidate stack-limits.yml at
    `path` and the stack.env it will run with, by the compose that will run the stack (v1
    or v2).

    compose also opens the env files the services name; empty stand-ins in a scratch
    directory take their place, since they may be rendered in the same batch.
    """
    try:
        command = compose_command()
    except StackError as error:
        raise ValidationError(str(error)) from None
    try:
        stack_env = as_applied(path, "stack.env").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("no stack.env to check it with, rendered or installed") from None
    with tempfile.TemporaryDirectory(prefix="ids2-compose-") as scratch:
        for name in COMPOSE_ENV_FILES:
            (Path(scratch) / name).touch()
        env = Path(scratch) / "stack.env"
        kept = [
            line for line in stack_env.splitlines() if not line.startswith("IDS2_RENDERED_DIR=")
        ]
        env.write_text("\n".join([*kept, f"IDS2_RENDERED_DIR={scratch}"]) + "\n")
        files = ["-f", str(stack_dir() / "docker-compose.yml"), "-f", str(path)]
        result = subprocess.run(
            [*command, "-p", "ids2-check", "--env-file", str(env), *files, "config", "-q"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            cwd=scratch,
        )
    if result.returncode != 0:
        raise ValidationError(f"{' '.join(command)} config: {compose_errors(result.stderr)}")
    return f"{' '.join(command)} config: ok"


def check_datasources(path: Path) -> str:
    """The provisioning file parses, and each datasource has what Grafana needs to make it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValidationError(f"not YAML: {error}") from None
    if not isinstance(document, dict) or document.get("apiVersion") != 1:
        raise ValidationError("expected a provisioning file with apiVersion: 1")
    sources = document.get("datasources") or []
    for source in sources:
        missing = [key for key in ("name", "uid", "type", "url") if not source.get(key)]
        if missing:
            raise ValidationError(f"datasource {source.get('name')!r} lacks {', '.join(missing)}")
    if sources:
        return f"{len(sources)} datasource{'s' if len(sources) != 1 else ''}"
    return f"no datasource; deletes {len(document.get('deleteDatasources') or [])}"


VALIDATORS = {
    "stack.env": check_variables,
    LIMITS_FILE: check_with_compose,
    CA_BUNDLE: check_ca_bundle,
    grafana.DATASOURCE_FILE: check_datasources,
    evebox.CONFIG_FILE: evebox.check_config,
}


def ca_bundle(config: Config) -> RenderedFile:
    """ca-bundle.pem: the configured CA bundle, checked, or a placeholder when none is set."""
    configured = config["shipping"]["opensearch"]["ca_bundle"]
    if not configured:
        return RenderedFile(CA_BUNDLE, CA_PLACEHOLDER, VALIDATORS[CA_BUNDLE])
    try:
        text = Path(configured).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(
            config.source,
            [
                "at 'shipping.opensearch.ca_bundle': expected a readable PEM CA bundle, "
                f"got {configured!r} ({reason})"
            ],
        ) from None
    return RenderedFile(CA_BUNDLE, text, VALIDATORS[CA_BUNDLE])


def render(config: Config) -> list[RenderedFile]:
    """stack.env and stack-limits.yml for compose, grafana.env (0600) with the admin
    password and what the OpenSearch datasource needs, grafana-opensearch.yml,
    ca-bundle.pem, evebox.yaml and evebox.env (0600, its admin password)."""
    secrets_path = Path(config["shipping"]["secrets_file"])
    ensure_passwords(secrets_path)
    secrets = load_secrets(secrets_path)
    grafana_env = {
        "GF_SECURITY_ADMIN_PASSWORD": secrets[GRAFANA_KEY],
        **grafana.environment(config),
    }
    datasources = grafana.datasource_file(config)
    return [
        RenderedFile("stack.env", env_file(stack_environment(config)), VALIDATORS["stack.env"]),
        RenderedFile(LIMITS_FILE, limits_file(config), VALIDATORS[LIMITS_FILE]),
        RenderedFile("grafana.env", env_file(grafana_env), mode=0o600),
        RenderedFile(grafana.DATASOURCE_FILE, datasources, VALIDATORS[grafana.DATASOURCE_FILE]),
        ca_bundle(config),
        *evebox.render(config, secrets[EVEBOX_KEY]),
    ]
