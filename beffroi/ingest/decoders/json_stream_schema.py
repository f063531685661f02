"""Limits of the json-stream format, shared by its typed decoder and its error explainer."""

from __future__ import annotations

import re
from collections.abc import Mapping

METRIC_PATTERN = "^[a-z0-9_]{1,64}$"
"""A metric name: 1..64 characters of a-z, 0-9 and _."""

ID_MAX_CHARS = 128
"""The longest message id or device id (`id`, `streamId`)."""

EVENT_TYPE_MAX_CHARS = 64
"""The longest event type."""

_METRIC_NAME = re.compile(METRIC_PATTERN)
_KNOWN_GOOD_METRICS: set[str] = set()
_KNOWN_GOOD_LIMIT = 10_000


def known_good_metrics(values: Mapping[str, object]) -> bool:
    """True when every metric name of `values` was seen valid before (one set operation; False: check each)."""
    return _KNOWN_GOOD_METRICS.issuperset(values)


def metric_name_problem(metric: str) -> str | None:
    """None for a valid metric name, else what is wrong with it (valid names are remembered: a set lookup)."""
    if metric in _KNOWN_GOOD_METRICS:
        return None
    if _METRIC_NAME.match(metric) is None:
        return f"value: metric name {metric[:70]!r} must be 1..64 characters of a-z, 0-9 and _"
    if len(_KNOWN_GOOD_METRICS) < _KNOWN_GOOD_LIMIT:
        _KNOWN_GOOD_METRICS.add(metric)
    return None
