"""Per-row problems of an import, named by row and field."""

from __future__ import annotations

from typing import Any

import pydantic

from beffroi.validation import key_path

RowError = dict[str, Any]


def row_error(row: int, field: str, detail: str) -> RowError:
    """One problem: `row` (1-based: a CSV line, a GeoJSON feature), `field`, and what is wrong."""
    return {"row": row, "field": field, "detail": detail}


def row_errors(row: int, error: pydantic.ValidationError, prefix: str = "") -> list[RowError]:
    """The problems of one row's validation, each at its field path (under `prefix`)."""
    problems = []
    for item in error.errors(include_url=False):
        path = key_path(list(item["loc"]))
        field = f"{prefix}.{path}" if prefix and path != "(root)" else prefix or path
        shown = repr(item.get("input"))
        suffix = "" if item["type"] == "missing" else f" (got {shown[:60]})"
        problems.append(row_error(row, field, f"{item['msg']}{suffix}"))
    return problems
