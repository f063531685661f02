"""Alarm floods per operator desk (ISA-18.2 / EEMUA 191: more than 10 alarms in 10 minutes per operator).

`FloodMonitor` counts the alarms RAISED at each (tenant, desk) — re-triggers of an open alarm are not new alarms
and do not count — and decides when a flood starts and ends:

- a flood starts with the raise that makes the count exceed `max_alarms` within `window_s` (the
  `max_alarms + 1`-th raise less than `window_s` after the first of them);
- it ends once the count within `window_s` has stayed at or below `end_below` (default `max_alarms // 2`) for
  `end_hold_s`: at `t + window_s + end_hold_s`, where `t` is the time of the `end_below + 1`-th newest raise
  (from then on at most `end_below` raises are in the window). Raises during the flood still count, so a flood
  lasts as long as alarms keep coming.

Memory is bounded: each desk keeps only its `max_alarms + 1` newest raise times, which answer both questions
exactly. Times are those of the engine's clock (the data clock in replays); they need not arrive in order.
What happens to the alarms of a flooding desk (grouping into one summary alarm) is the alarm manager's job.
"""

from __future__ import annotations

import bisect
import math

import msgspec

from beffroi.domain.alarms import Priority
from beffroi.errors import ConfigError

FLOOD_ALARM_TYPE = "alarm_flood"
"""The type of the summary alarm of a flooding desk (its source is `desk:<name>`, it has no site)."""
FLOOD_REASON_PREFIX = "flood:"
"""The `state_reason` of an alarm suppressed by a flood is this prefix and the desk's name."""
SUMMARY_SOURCE_PREFIX = "desk:"
"""The summary alarm's source is this prefix and the desk's name."""


def flood_reason(desk: str) -> str:
    """The `state_reason` of the alarms grouped by a flood at `desk`."""
    return f"{FLOOD_REASON_PREFIX}{desk}"


class FloodSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When a desk is flooded: more than `max_alarms` raised in `window_s`; the flood ends when the count in the
    window has stayed at or below `end_below` (None: `max_alarms // 2`) for `end_hold_s` seconds."""

    max_alarms: int = 10
    window_s: float = 600.0
    end_below: int | None = None
    end_hold_s: float = 300.0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.max_alarms < 1:
            problems.append(f"max_alarms: must be ≥ 1 (got {self.max_alarms})")
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            problems.append(f"window_s: must be a positive number of seconds (got {self.window_s!r})")
        if self.end_below is not None and not 0 <= self.end_below <= self.max_alarms:
            problems.append(f"end_below: must be between 0 and max_alarms ({self.max_alarms}) (got {self.end_below})")
        if not (math.isfinite(self.end_hold_s) and self.end_hold_s >= 0):
            problems.append(f"end_hold_s: must be ≥ 0 seconds (got {self.end_hold_s!r})")
        if problems:
            raise ConfigError("engine.flood", problems)

    @property
    def calm_count(self) -> int:
        """The count in the window at or below which a flood may end."""
        return self.max_alarms // 2 if self.end_below is None else self.end_below

    @property
    def window_text(self) -> str:
        """The window in words for messages ("10 min", "90 s")."""
        minutes = self.window_s / 60
        return f"{minutes:g} min" if self.window_s >= 60 and minutes == round(minutes) else f"{self.window_s:g} s"


class NewestRaises:
    """The `keep` newest raise times of one desk, sorted (older ones cannot change a flood decision)."""

    __slots__ = ("_keep", "_times")

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._times: list[float] = []

    def add(self, ts: float) -> None:
        """Count one raise at `ts`."""
        times = self._times
        if len(times) == self._keep:
            if ts <= times[0]:
                return
            del times[0]
        bisect.insort(times, ts)

    def full_within(self, span_s: float) -> bool:
        """True when `keep` raises are kept and all of them lie less than `span_s` apart."""
        times = self._times
        return len(times) == self._keep and times[-1] - times[0] < span_s

    def nth_newest(self, n: int) -> float | None:
        """The time of the `n`-th newest raise (1: the newest), None when fewer are kept."""
        return self._times[-n] if 0 < n <= len(self._times) else None

    def count_after(self, start: float) -> int:
        """How many kept raises are later than `start` (exact while below `keep`)."""
        return len(self._times) - bisect.bisect_right(self._times, start)


class _DeskState:
    __slots__ = ("raises", "started_at")

    def __init__(self, keep: int) -> None:
        self.raises = NewestRaises(keep)
        self.started_at: float | None = None


class FloodMonitor:
    """Flood state of every (tenant, desk); see the module docstring for the rules."""

    __slots__ = ("_desks", "settings")

    def __init__(self, settings: FloodSettings) -> None:
        self.settings = settings
        self._desks: dict[tuple[str, str], _DeskState] = {}

    def _state(self, tenant_id: str, desk: str) -> _DeskState:
        state = self._desks.get((tenant_id, desk))
        if state is None:
            state = self._desks[(tenant_id, desk)] = _DeskState(self.settings.max_alarms + 1)
        return state

    def record(self, tenant_id: str, desk: str, ts: float) -> bool:
        """Count an alarm raised at `desk` at `ts`; True when this raise starts a flood there."""
        state = self._state(tenant_id, desk)
        state.raises.add(ts)
        if state.started_at is None and state.raises.full_within(self.settings.window_s):
            state.started_at = ts
            return True
        return False

    def is_flooding(self, tenant_id: str, desk: str) -> bool:
        """True while `desk` of `tenant_id` is in a flood."""
        state = self._desks.get((tenant_id, desk))
        return state is not None and state.started_at is not None

    def started_at(self, tenant_id: str, desk: str) -> float | None:
        """When the current flood at `desk` started (None when there is none)."""
        state = self._desks.get((tenant_id, desk))
        return None if state is None else state.started_at

    def count(self, tenant_id: str, desk: str, now: float) -> int:
        """Raises at `desk` within the window ending at `now`, capped at `max_alarms + 1`."""
        state = self._desks.get((tenant_id, desk))
        return 0 if state is None else state.raises.count_after(now - self.settings.window_s)

    def ends_at(self, tenant_id: str, desk: str) -> float | None:
        """When the current flood at `desk` ends if no alarm is raised there meanwhile (None: no flood)."""
        state = self._desks.get((tenant_id, desk))
        if state is None or state.started_at is None:
            return None
        settings = self.settings
        calm_from = state.raises.nth_newest(settings.calm_count + 1)
        calm_since = state.started_at if calm_from is None else max(calm_from + settings.window_s, state.started_at)
        return calm_since + settings.end_hold_s

    def end_due(self, now: float) -> list[tuple[str, str]]:
        """End the floods whose end time has come by `now`; their (tenant, desk), in a stable order."""
        ended: list[tuple[str, str]] = []
        for (tenant_id, desk), state in sorted(self._desks.items()):
            if state.started_at is None:
                continue
            ends_at = self.ends_at(tenant_id, desk)
            if ends_at is not None and ends_at <= now:
                state.started_at = None
                ended.append((tenant_id, desk))
        return ended

    def flooding(self) -> list[tuple[str, str, float]]:
        """The floods in progress: (tenant, desk, started at)."""
        return [
            (tenant_id, desk, state.started_at)
            for (tenant_id, desk), state in sorted(self._desks.items())
            if state.started_at is not None
        ]

    def seed(self, tenant_id: str, desk: str, ts: float) -> None:
        """Count a raise known from before a restart, without starting a flood (the next raise decides)."""
        self._state(tenant_id, desk).raises.add(ts)

    def resume(self, tenant_id: str, desk: str, started_at: float) -> None:
        """Resume a flood that was in progress before a restart (its summary or grouped alarms are still open)."""
        state = self._state(tenant_id, desk)
        if state.started_at is None or started_at < state.started_at:
            state.started_at = started_at


class FloodEpisode:
    """One flood at one desk: the alarms it grouped (by id, while they stay grouped), how many it grouped in all,
    and their most urgent priority — what the desk's summary alarm shows."""

    __slots__ = ("desk", "grouped", "grouped_total", "priority", "summary_stale", "tenant_id")

    def __init__(self, tenant_id: str, desk: str) -> None:
        self.tenant_id = tenant_id
        self.desk = desk
        self.grouped: dict[str, None] = {}
        self.grouped_total = 0
        self.priority: Priority | None = None
        self.summary_stale = False

    def add(self, alarm_id: str, priority: Priority) -> None:
        """Group one alarm; the summary must be refreshed."""
        self.grouped[alarm_id] = None
        self.grouped_total += 1
        self.priority = priority if self.priority is None else min(self.priority, priority)
        self.summary_stale = True

    def summary_message(self, settings: FloodSettings) -> str:
        """The summary alarm's message."""
        return (
            f"{self.grouped_total} alarms grouped at desk {self.desk} "
            f"(flood: more than {settings.max_alarms} in {settings.window_text})"
        )
