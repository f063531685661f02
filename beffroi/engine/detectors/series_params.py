"""Turns `beffroi detect --param k=v` strings into a typed rule (a msgspec Struct), naming what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from beffroi.errors import ConfigError

S = TypeVar("S", bound=msgspec.Struct)


def parse_series_params(
    detector: str,
    params: Mapping[str, str],
    rule_type: type[S],
    documented: Mapping[str, str],
    fixed: Mapping[str, Any] | None = None,
) -> S:
    """`rule_type` built from `fixed` values and the string `params` (numbers and booleans parsed; an empty value,
    `none` or `default` leaves the parameter at its default).

    Only the `documented` parameter names are accepted. Raises ConfigError naming an unknown parameter, a value
    of the wrong type, or the rule's own problems (e.g. `clear_at` on the wrong side of the limit).
    """
    source = f"detector {detector!r}"
    unknown = sorted(set(params) - set(documented))
    if unknown:
        known = ", ".join(sorted(documented)) or "none"
        raise ConfigError(source, [f"unknown parameter {name!r} (known: {known})" for name in unknown])
    values: dict[str, Any] = dict(fixed or {})
    for name, text in params.items():
        if text.strip().lower() not in ("", "none", "default"):
            values[name] = text.strip()
    try:
        return msgspec.convert(values, rule_type, strict=False)
    except msgspec.ValidationError as error:
        raise ConfigError(source, [_describe(error, params)]) from None


def _describe(error: msgspec.ValidationError, params: Mapping[str, str]) -> str:
    """msgspec's "Expected `float`, got `str` - at `$.above`" as "parameter `above`: expected `float`, got 'x'"."""
    message = str(error)
    text, separator, path = message.rpartition(" - at `$.")
    if not separator:
        return message
    name = path.rstrip("`")
    text = f"{text[:1].lower()}{text[1:]}".replace(" | null`", "`")
    if name in params:
        text = text.replace("got `str`", f"got {params[name]!r}")
    return f"parameter `{name}`: {text}"
