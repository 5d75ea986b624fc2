"""The building blocks of the configuration schema: options with a type, a default and a check.

The schema is declared in Python rather than JSON-schema so that value checks (interface
names, URLs, networks) are plain functions and the validator stays small and dependency-free.
"""

from __future__ import annotations

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Literal

    Kind = Literal["string", "integer", "number", "boolean", "scalar"]
    ValueCheck = Callable[[Any], str | None]
    """Returns None when a value is acceptable, else what was expected ("an https URL")."""

KIND_NAMES: dict[Kind, str] = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "scalar": "a whole number or a string",
}


class Option:
    """One leaf of the configuration: a scalar, or a list of scalars when `is_list`.

    The classes here are plain classes rather than dataclasses: see the `ids2` package.
    """

    __slots__ = (
        "check",
        "choices",
        "default",
        "description",
        "example",
        "is_list",
        "kind",
        "maximum",
        "minimum",
        "required",
        "secret",
    )

    def __init__(
        self,
        description: str,
        default: Any,
        kind: Kind,
        *,
        is_list: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        choices: tuple[Any, ...] | None = None,
        check: ValueCheck | None = None,
        example: Any = None,
        secret: bool = False,
        required: bool = False,
    ) -> None:
        self.description = description
        self.default = default
        self.kind = kind
        self.is_list = is_list
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
        self.check = check
        self.example = example
        self.secret = secret
        self.required = required

    def expectation(self) -> str:
        """Describe an acceptable item in words, for error messages and the reference."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(choice) for choice in self.choices)
        words = KIND_NAMES[self.kind]
        # {:g} would print the largest SID as 4.29497e+09
        shown = "{:d}" if self.kind == "integer" else "{:g}"
        if self.minimum is not None and self.maximum is not None:
            words += f" from {shown.format(self.minimum)} to {shown.format(self.maximum)}"
        elif self.minimum is not None:
            words += f" of at least {shown.format(self.minimum)}"
        return words


class Section:
    """A mapping of named options and sub-sections; keys outside it are errors."""

    __slots__ = ("children", "description")

    def __init__(
        self, description: str, children: Mapping[str, Option | Section | Records] | None = None
    ) -> None:
        self.description = description
        self.children = children if children is not None else {}


class Records:
    """Items of one shape that the user adds: named (a mapping from names the user picks)
    or in order (a list, where order decides, like routes).

    Each item is checked against the Section of its `type` key's value when there are
    several `variants`, else against the one variant; its key paths are
    `PATH.NAME.KEY` or `PATH[INDEX].KEY`, so errors point into the item.
    """

    __slots__ = ("description", "example", "named", "variants")

    def __init__(
        self, description: str, variants: Mapping[str, Section], named: bool, example: Any = None
    ) -> None:
        self.description = description
        self.variants = variants
        self.named = named
        self.example = example

    @property
    def default(self) -> Any:
        return {} if self.named else []

    def expectation(self) -> str:
        """Describe the collection in words, for error messages and the reference."""
        what = (
            "items"
            if len(self.variants) == 1
            else "items with a type: " + ", ".join(repr(name) for name in self.variants)
        )
        return f"a mapping of names to {what}" if self.named else f"a list of {what}"


def string(description: str, default: str, **extra: Any) -> Option:
    """Declare a string option."""
    return Option(description, default, "string", **extra)


def integer(description: str, default: int, minimum: int, maximum: int, **extra: Any) -> Option:
    """Declare a whole-number option with its inclusive range."""
    return Option(description, default, "integer", minimum=minimum, maximum=maximum, **extra)


def number(
    description: str, default: float, minimum: float, maximum: float, **extra: Any
) -> Option:
    """Declare a number option (integers accepted) with its inclusive range."""
    return Option(description, default, "number", minimum=minimum, maximum=maximum, **extra)


def boolean(description: str, default: bool, **extra: Any) -> Option:
    """Declare a true/false option."""
    return Option(description, default, "boolean", **extra)


def choice(description: str, default: str, choices: tuple[str, ...], **extra: Any) -> Option:
    """Declare a string option limited to a fixed set of words."""
    return Option(description, default, "string", choices=choices, **extra)


def string_list(description: str, default: list[str], **extra: Any) -> Option:
    """Declare a list of strings, each checked by `check` when given."""
    return Option(description, default, "string", is_list=True, **extra)


def integer_list(
    description: str, default: list[int], minimum: int, maximum: int, **extra: Any
) -> Option:
    """Declare a list of whole numbers, each within the inclusive range."""
    return Option(
        description, default, "integer", is_list=True, minimum=minimum, maximum=maximum, **extra
    )
