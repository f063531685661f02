"""When to try a webhook again: exponential back-off with "equal jitter", and which failures are worth a retry."""

from __future__ import annotations

import random

import msgspec

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RetryPolicy(msgspec.Struct, frozen=True):
    """At most `max_attempts` tries; after failed try n the wait is drawn in [d/2, d], d = min(max_delay_s,
    base_delay_s · multiplier^(n-1)): growing, never synchronised across endpoints, never above `max_delay_s`."""

    max_attempts: int = 6
    base_delay_s: float = 1.0
    multiplier: float = 2.0
    max_delay_s: float = 300.0

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed try `attempt` (1-based)."""
        return min(self.max_delay_s, self.base_delay_s * self.multiplier ** (attempt - 1))

    def delay(self, attempt: int, rng: random.Random, retry_after_s: float | None = None) -> float:
        """The wait after failed try `attempt`; at least the receiver's Retry-After (capped at `max_delay_s`)."""
        ceiling = self.ceiling(attempt)
        wait = ceiling / 2 + rng.uniform(0.0, ceiling / 2)
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.max_delay_s))
        return wait


def is_retryable(status: int) -> bool:
    """Whether an HTTP status may succeed later (timeouts, throttling, server errors); 4xx and 3xx never do."""
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after_seconds(header: str | None) -> float | None:
    """The delay of a Retry-After header given in seconds (the HTTP-date form is ignored)."""
    if header is None:
        return None
    try:
        value = float(header.strip())
    except ValueError:
        return None
    return value if value >= 0 else None
