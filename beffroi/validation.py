"""Turns pydantic validation errors into messages that name the key path and the bad value."""

from __future__ import annotations

from collections.abc import Sequence

import pydantic


def key_path(loc: Sequence[int | str]) -> str:
    """`("sites", 3, "zones", 0, "area_m2")` -> `sites[3].zones[0].area_m2`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(root)"


def describe_errors(error: pydantic.ValidationError) -> list[str]:
    """One line per problem: `key.path: message (got VALUE)`."""
    lines = []
    for item in error.errors(include_url=False):
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        value = item.get("input")
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        suffix = "" if item["type"] == "missing" else f" (got {shown})"
        lines.append(f"{key_path(loc)}: {item['msg']}{suffix}")
    return lines
