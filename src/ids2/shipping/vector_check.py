"""Writing vector.toml, and checking it before it may replace the running one.

The check needs no Vector: every component's inputs exist, every VRL program (files under
stack/vector/ and inline sources) compiles with the upstream compiler (vrl-python), and
credentials appear only as ${VARIABLE} references. `vector validate --no-environment` runs
too: by a `vector` binary on PATH, on a copy whose VRL paths point into the source tree
instead of the container, else in the stack's Vector image (common.image_check).
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from ids2.common.apply import as_applied
from ids2.common.image_check import ImageCheck, check_on_host_or_in_image
from ids2.common.rendered import ValidationError, check_with_tool
from ids2.common.stack_files import stack_dir

CONTAINER_VRL_DIR = "/etc/vector/vrl"
CA_BUNDLE = "ca-bundle.pem"
SECRET_KEYS = {"password", "secret_access_key", "token"}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_REFERENCE = re.compile(r"^\$\{[A-Z0-9_]+\}$")
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)\}")


class EnvironmentReference(str):
    """A value Vector takes from its environment: written as ${NAME}, never escaped."""

    def __new__(cls, name: str) -> EnvironmentReference:
        return super().__new__(cls, "${" + name + "}")


def _string(value: str) -> str:
    if isinstance(value, EnvironmentReference):
        return json.dumps(str(value))
    # Vector replaces $NAME and ${NAME} anywhere in the file before parsing it; $$ is a $.
    value = value.replace("$", "$$")
    if "\n" in value and "'''" not in value:
        return "'''\n" + value + "'''"
    return json.dumps(value)  # a TOML basic string


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return _string(value if isinstance(value, str) else str(value))


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def to_toml(document: dict[str, Any], prefix: str = "") -> str:
    """TOML for nested tables of scalars and lists, which is all vector.toml needs."""
    scalars = {k: v for k, v in document.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f"{_key(key)} = {_value(value)}" for key, value in scalars.items()]
    text = "\n".join(lines) + ("\n\n" if lines else "")
    for key, table in tables.items():
        text += to_toml(table, f"{prefix}.{_key(key)}" if prefix else _key(key))
    return text


def _outputs(document: dict[str, Any]) -> set[str]:
    outputs = set(document.get("sources", {}))
    for name, transform in document.get("transforms", {}).items():
        outputs.add(name)
        if transform.get("type") == "route":
            outputs.update(
                f"{name}.{route}" for route in [*transform.get("route", {}), "_unmatched"]
            )
        if transform.get("reroute_dropped"):
            outputs.add(f"{name}.dropped")
    return outputs


def _check_inputs(document: dict[str, Any]) -> None:
    outputs = _outputs(document)
    for kind in ("transforms", "sinks"):
        for name, component in document.get(kind, {}).items():
            inputs = component.get("inputs", [])
            if not inputs:
                raise ValidationError(f"vector.toml: {kind}.{name} has no inputs")
            unknown = set(inputs) - outputs
            if unknown:
                raise ValidationError(
                    f"vector.toml: {kind}.{name} reads {sorted(unknown)}, which nothing produces"
                )


def _check_secrets(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in SECRET_KEYS and not _REFERENCE.match(str(inner)):
                raise ValidationError(
                    f"vector.toml: {where}.{key} must be a ${{VARIABLE}} reference, "
                    "never the secret itself"
                )
            _check_secrets(inner, f"{where}.{key}" if where else key)


def vrl_programs(document: dict[str, Any]) -> dict[str, str]:
    """Every remap program by transform name: inline sources, and files from stack/vector/."""
    programs = {}
    for name, transform in document.get("transforms", {}).items():
        if "source" in transform:
            programs[name] = transform["source"].replace("$$", "$")  # as Vector reads it
        elif "file" in transform:
            local = host_vrl_path(transform["file"])
            try:
                programs[name] = local.read_text(encoding="utf-8")
            except OSError as error:
                raise ValidationError(f"transforms.{name}: cannot read {local}: {error}") from None
    return programs


def host_vrl_path(container_path: str) -> Path:
    """Where a VRL file the container sees under /etc/vector/vrl is in the stack directory."""
    if not container_path.startswith(CONTAINER_VRL_DIR + "/"):
        raise ValidationError(
            f"vector.toml: VRL file {container_path} is not under {CONTAINER_VRL_DIR}"
        )
    return stack_dir() / "vector" / container_path.removeprefix(CONTAINER_VRL_DIR + "/")


def _compile(programs: dict[str, str]) -> str:
    try:
        import vrl_python
    except ImportError:
        return "VRL not compiled (vrl-python is not installed)"
    runtime = vrl_python.VRLRuntime()
    for name, program in programs.items():
        try:
            runtime.compile(program)
        except ValueError as error:
            raise ValidationError(
                f"transforms.{name}: the VRL does not compile:\n{error}"
            ) from None
    return f"{len(programs)} VRL programs compile"


def _vector_validate(path: Path) -> str:
    """`vector validate` by the host's vector, else by the one in the stack's Vector image
    with the file, the VRL directory and the CA bundle where the service mounts them."""
    text = path.read_text(encoding="utf-8")
    files = {"vector.toml": path, "vector": stack_dir() / "vector"}
    ca_bundle = as_applied(path, CA_BUNDLE)
    if ca_bundle.exists():
        files[CA_BUNDLE] = ca_bundle
    # Interpolation needs every ${VARIABLE}; the values do not matter to validation.
    placeholders = {name: "validate" for name in sorted(set(_VARIABLE.findall(text)))}
    check = ImageCheck(
        "vector",
        "vector",
        ("validate", "--no-environment", "vector.toml"),
        files,
        "vector validate",
        placeholders,
    )
    return check_on_host_or_in_image(check, lambda: _validate_on_host(text, placeholders))


def _validate_on_host(text: str, placeholders: dict[str, str]) -> str:
    """The host's vector on a copy whose VRL paths point into the stack directory."""
    text = text.replace(f'"{CONTAINER_VRL_DIR}/', f'"{stack_dir() / "vector"}/')
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "vector.toml"
        copy.write_text(text, encoding="utf-8")
        variables = [f"{name}={value}" for name, value in placeholders.items()]
        return check_with_tool(
            ["env", *variables, "vector", "validate", "--no-environment", str(copy)],
            "vector validate",
        )


def check_structure(path: Path) -> str:
    """Inputs wired, no literal secrets, VRL compiled, `vector validate` where present."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"vector.toml is not valid TOML: {error}") from None
    _check_inputs(document)
    _check_secrets(document, "")
    notes = ["inputs wired", _compile(vrl_programs(document)), _vector_validate(path)]
    return "; ".join(notes)
