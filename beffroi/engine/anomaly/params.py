"""Algorithm parameters from strings or numbers (`--param k=v`, a rule's `params` table), with clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import msgspec

from beffroi.errors import ConfigError

P = TypeVar("P", bound=msgspec.Struct)


def parse_params(kind: type[P], values: Mapping[str, object], source: str) -> P:
    """`kind` built from `values` (numbers, booleans or their text); ConfigError naming the bad or unknown key."""
    try:
        return msgspec.convert(dict(values), kind, strict=False)
    except msgspec.ValidationError as error:
        raise ConfigError(source, [str(error).replace("`$.", "`").replace("$.", "")]) from None


def check_positive(params: msgspec.Struct, names: tuple[str, ...], problems: list[str]) -> None:
    """Add a problem for each named field that is not a finite number > 0."""
    for name in names:
        value = getattr(params, name)
        if not (isinstance(value, int | float) and 0 < value < float("inf")):
            problems.append(f"`{name}` must be a finite number > 0, got {value!r}")
