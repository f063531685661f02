"""Query parameters shared by the routers: times, limits, offsets."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_TIMESTAMP = 253_402_300_800.0  # 10000-01-01T00:00:00Z, as the store
MAX_PAGE = 10_000

Since = Annotated[
    float | None,
    Query(ge=0, lt=MAX_TIMESTAMP, allow_inf_nan=False, description="From this time on (epoch seconds, UTC)"),
]
Until = Annotated[
    float | None,
    Query(ge=0, lt=MAX_TIMESTAMP, allow_inf_nan=False, description="Up to this time (epoch seconds, UTC)"),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many items")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items")]
Identifier = Annotated[str, Query(min_length=1, max_length=128)]
