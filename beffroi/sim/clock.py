"""Simulated time: the scenario's clock, how fast it runs against the wall clock, and the timestamps it emits.

Scenario time `t_sc` is Unix epoch seconds on the scenario's own timeline (the 2024 schedule of the default
scenario). It advances `speed` times faster than the wall clock (`speed = math.inf`: as fast as possible, no
waiting). Emitted timestamps are either the scenario's own dates (`time_origin="scenario"`, for replays and
comparisons with ground truth) or shifted so that the simulation start maps to the wall clock when the
simulator is built (`time_origin="now"`: a demo run today emits today's timestamps while the crowd follows the
scenario's schedule): emitted = wall_start + (t_sc - sim_start).
"""

from __future__ import annotations

import math
import time
from typing import Literal

from beffroi.errors import ConfigError

TimeOrigin = Literal["now", "scenario"]


class SimClock:
    """Maps scenario time to emitted timestamps and to wall-clock pacing."""

    def __init__(
        self,
        sim_start: float,
        *,
        speed: float = 1.0,
        time_origin: TimeOrigin = "now",
        wall_start: float | None = None,
    ) -> None:
        if not (speed > 0):  # also refuses NaN
            raise ConfigError("simulator", [f"speed: must be greater than 0 (got {speed!r})"])
        if time_origin not in ("now", "scenario"):
            raise ConfigError("simulator", [f"time_origin: must be 'now' or 'scenario' (got {time_origin!r})"])
        self.sim_start = sim_start
        self.speed = speed
        self.time_origin: TimeOrigin = time_origin
        self.follows_wall = time_origin == "now" and wall_start is None
        """True when the emitted time origin is "whatever the wall clock says when we begin"."""
        if time_origin == "now":
            origin = time.time() if wall_start is None else wall_start
            self.offset = round(origin - sim_start, 3)
        else:
            self.offset = 0.0
        self._anchor_sc = sim_start
        self._anchor_mono = time.monotonic()

    def restart_wall(self, wall_now: float | None = None) -> None:
        """Map the simulation start to `wall_now` (default: now) again; only for `follows_wall` clocks."""
        if self.follows_wall:
            self.offset = round((time.time() if wall_now is None else wall_now) - self.sim_start, 3)

    @property
    def as_fast_as_possible(self) -> bool:
        """True when the clock never waits (infinite speed)."""
        return math.isinf(self.speed)

    def emitted_ts(self, t_sc: float) -> float:
        """The timestamp (epoch seconds) a message produced at scenario time `t_sc` carries."""
        return t_sc + self.offset

    def scenario_time(self, emitted_ts: float) -> float:
        """The scenario time of an emitted timestamp (inverse of `emitted_ts`)."""
        return emitted_ts - self.offset

    def anchor(self, t_sc: float, monotonic_now: float | None = None) -> None:
        """Pin scenario time `t_sc` to the monotonic clock's `monotonic_now` (default: now) for pacing."""
        self._anchor_sc = t_sc
        self._anchor_mono = time.monotonic() if monotonic_now is None else monotonic_now

    def scenario_now(self, monotonic_now: float | None = None) -> float:
        """The scenario time reached at monotonic time `monotonic_now` (default: now) since the anchor."""
        if self.as_fast_as_possible:
            return math.inf
        mono = time.monotonic() if monotonic_now is None else monotonic_now
        return self._anchor_sc + (mono - self._anchor_mono) * self.speed

    def wall_delay(self, t_sc: float, monotonic_now: float | None = None) -> float:
        """Wall seconds to wait from `monotonic_now` (default: now) until scenario time `t_sc` is due (≥ 0)."""
        if self.as_fast_as_possible:
            return 0.0
        mono = time.monotonic() if monotonic_now is None else monotonic_now
        return max(0.0, (t_sc - self._anchor_sc) / self.speed - (mono - self._anchor_mono))
