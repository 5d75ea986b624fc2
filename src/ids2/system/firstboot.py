"""`ids2 firstboot`: take the optional ids2.yaml from the Pi's boot partition, once.

The FAT boot partition can be edited from any PC before the first boot, so a user configures
the sensor there. The file holds the keys of /etc/ids2/config.yaml to change, plus an optional
`secrets:` mapping with the keys of the root-only secrets file. A valid file is merged into the
configuration, its secrets moved into the secrets file, and it is removed from the FAT
partition (which anyone with the SD card can read). A bad file is renamed to
`ids2.yaml.rejected`, its problems written beside it and reported, and the sensor boots with
the configuration it had. Saved container images baked into the image are loaded here too, so
a box without internet still starts its stack.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ids2.config.edit import write_atomically
from ids2.config.load import Config, load_secrets, parse_yaml
from ids2.config.load import validate_document as validate_config
from ids2.config.machine import Machine
from ids2.config.schema import SECRETS
from ids2.config.validate import Problems, check_section, describe
from ids2.errors import ConfigError

BOOT_FILE = Path("/boot/firmware/ids2.yaml")
IMAGES_DIR = Path("/var/lib/ids2/images")
MOTD = Path("/etc/motd")
SECRETS_KEY = "secrets"
CONTAINER_LINKS = ("docker", "br-", "veth")
MOTD_BEGIN, MOTD_END = "# --- ids2 first boot ---", "# --- end ids2 ---"
HEADER = (
    "# /etc/ids2/config.yaml: merged from the boot partition's ids2.yaml at first boot.\n"
    "# The commented reference of every key: `ids2 config example`; the file before the\n"
    "# merge is kept as config.yaml.before-firstboot.\n"
)


@dataclass(frozen=True)
class Merged:
    """The outcome of a valid boot file: the new config document and the secrets it carried."""

    document: dict[str, Any]
    config: Config
    secrets: dict[str, Any]


def merge_documents(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_documents(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_boot_file(
    boot_text: str, boot_source: str, current_text: str, current_source: str, machine: Machine
) -> Merged:
    """Validate the boot file laid over the current config; raise ConfigError with every problem.

    Problems name the boot file, since that is the file the user edits to fix them.
    """
    document = parse_yaml(boot_text, boot_source)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            boot_source, [f"at the top level: expected a mapping of keys, got {describe(document)}"]
        )
    current = parse_yaml(current_text, current_source) or {}
    if not isinstance(current, dict):
        raise ConfigError(current_source, ["at the top level: expected a mapping of keys"])
    overrides = {key: value for key, value in document.items() if key != SECRETS_KEY}
    problems = Problems()
    secrets = check_section(SECRETS, document.get(SECRETS_KEY), SECRETS_KEY, problems)
    merged = merge_documents(current, overrides)
    try:
        config = validate_config(merged, boot_source, machine)
    except ConfigError as error:
        raise ConfigError(boot_source, error.problems + list(problems)) from None
    if problems:
        raise ConfigError(boot_source, list(problems))
    return Merged(merged, config, {key: value for key, value in secrets.items() if value})


def store_secrets(path: Path, secrets: dict[str, Any]) -> None:
    """Lay `secrets` over the root-only secrets file, keeping the values it already had."""
    current = {key: value for key, value in load_secrets(path).items() if value}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, yaml.safe_dump({**current, **secrets}, sort_keys=False), 0o600)


def apply_merged(merged: Merged, config_file: Path) -> None:
    """Write the secrets, then the config (keeping the previous one beside it)."""
    import shutil

    if merged.secrets:
        store_secrets(Path(merged.config["shipping"]["secrets_file"]), merged.secrets)
    if config_file.exists():
        shutil.copy2(config_file, config_file.with_name(f"{config_file.name}.before-firstboot"))
    text = HEADER + yaml.safe_dump(merged.document, sort_keys=False, allow_unicode=True)
    write_atomically(config_file, text, 0o644)


def reject(boot_file: Path, error: ConfigError) -> Path:
    """Rename the bad file out of the way and write its problems beside it, for the PC user."""
    rejected = boot_file.with_name(f"{boot_file.name}.rejected")
    boot_file.replace(rejected)
    reasons = boot_file.with_name(f"{boot_file.name}.errors.txt")
    reasons.write_text(str(error).replace(str(boot_file), boot_file.name) + "\n", encoding="utf-8")
    return rejected


def load_saved_images(images_dir: Path) -> str:
    """`docker load` each saved archive, removing it once loaded; a one-line summary."""
    import shutil
    import subprocess

    archives = sorted(images_dir.glob("*.tar")) if images_dir.is_dir() else []
    if not archives:
        return "no saved container images"
    if shutil.which("docker") is None:
        return f"{len(archives)} saved container image(s) kept: docker is not installed"
    failed = []
    for archive in archives:
        result = subprocess.run(
            ["docker", "load", "--input", str(archive)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            archive.unlink()
        else:
            failed.append(f"{archive.name}: {result.stderr.strip().splitlines()[-1:]}")
    loaded = len(archives) - len(failed)
    return f"loaded {loaded} saved container image(s)" + (
        f"; failed: {', '.join(failed)}" if failed else ""
    )


def pick_address(ip_output: str) -> str | None:
    """The first IPv4 address of `ip -4 -o address show scope global` on a host interface.

    Container bridges (docker0, br-*) and veth pairs are skipped: nobody reaches the box there.
    """
    for line in ip_output.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] != "inet" or fields[1].startswith(CONTAINER_LINKS):
            continue
        return fields[3].split("/")[0]
    return None


def local_address() -> str | None:
    import subprocess

    result = subprocess.run(
        ["ip", "-4", "-o", "address", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=False,
    )
    return pick_address(result.stdout)


def service_url(service: dict[str, Any], address: str | None) -> str:
    """Where a published stack service answers: its listen address, or the sensor's own
    when it listens on every one."""
    host = service["listen_address"] if service["listen_address"] != "0.0.0.0" else address
    return f"http://{host}:{service['port']}/" if host else "(no IPv4 address yet)"


def banner(config: Config, outcome: str, address: str | None) -> str:
    """The short status screen for the console and the MOTD: Grafana's and EveBox's
    addresses among the facts, each left out when its service is disabled."""
    stack = config["stack"]
    web = [
        f"  {label + ':':<15} {service_url(stack[name], address)} (user admin)"
        for name, label in (("grafana", "Grafana"), ("evebox", "EveBox"))
        if stack[name]["enabled"]
    ]
    return "\n".join(
        [
            f"ids2 sensor {socket.gethostname()}",
            f"  address:        {address or 'none yet'}",
            f"  capture:        {config['sensor']['interface']}",
            *web,
            "  admin password: sudo ids2 status --secrets",
            f"  first boot:     {outcome}",
        ]
    )


def update_motd(motd: Path, text: str) -> None:
    """Replace the ids2 block of the MOTD (or add it), leaving the rest as it was."""
    current = motd.read_text(encoding="utf-8") if motd.exists() else ""
    if MOTD_BEGIN in current and MOTD_END in current:
        head, rest = current.split(MOTD_BEGIN, 1)
        current = head + rest.split(MOTD_END, 1)[1].lstrip("\n")
    motd.write_text(f"{current}{MOTD_BEGIN}\n{text}\n{MOTD_END}\n", encoding="utf-8")


def first_boot(boot_file: Path, config_file: Path, images_dir: Path) -> tuple[bool, str, Config]:
    """Apply the boot file if there is one; (accepted, outcome line, config now in force).

    Raises ConfigError only when the installed config itself cannot be read.
    """
    from ids2.config.load import load_config

    accepted, outcome = True, "no ids2.yaml on the boot partition"
    if boot_file.exists():
        try:
            merged = merge_boot_file(
                boot_file.read_text(encoding="utf-8", errors="replace"),
                str(boot_file),
                config_file.read_text(encoding="utf-8") if config_file.exists() else "",
                str(config_file),
                Machine.this_one(),
            )
        except ConfigError as error:
            rejected = reject(boot_file, error)
            accepted = False
            outcome = f"{boot_file} REJECTED, kept as {rejected.name}; previous config in force"
            print(str(error), flush=True)
        else:
            apply_merged(merged, config_file)
            boot_file.unlink()
            moved = f", {len(merged.secrets)} secret(s) moved" if merged.secrets else ""
            outcome = f"{boot_file} merged into {config_file}{moved}; removed"
    images = load_saved_images(images_dir)
    return accepted, f"{outcome}; {images}", load_config(config_file)
