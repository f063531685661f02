"""What a detector reports: the condition behind one alarm key became active or returned to normal."""

from __future__ import annotations

import msgspec

from beffroi.domain.alarms import AlarmKey, Priority


class Condition(msgspec.Struct, frozen=True):
    """The alarm condition of `key` is now `active` (raise / re-trigger) or not (return to normal).

    `detector` and `rule` name what decided it: several rules may drive one key, and the key stays active
    while any of them is.
    """

    key: AlarmKey
    active: bool
    ts: float
    priority: Priority
    message: str
    detector: str
    rule: str
    value: float | None = None

    @property
    def cause(self) -> tuple[str, str]:
        """The (detector, rule) pair that reported this condition."""
        return (self.detector, self.rule)
