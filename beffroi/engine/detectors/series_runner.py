"""Runs one series detector over (time, value) points, one at a time: the score and alarm of each point, and a
summary (points, alarms raised, time active). Used by `beffroi detect`; memory does not grow with the series.

Each point is first a tick at its time (so silences and expiries are decided), then a reading of the series
device. A point's alarm is 1 when the detector's condition is active after it, or became active while it was
processed (a silence ended by this very point). Its score is `Scoring.score_of` for scoring detectors (0 before
the first score), else 1.0 while the alarm is on and 0.0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.detectors.base import Detector
from beffroi.engine.detectors.series import SERIES_METRIC, Scoring


@dataclass(frozen=True)
class SeriesPoint:
    """What the detector says of one point."""

    score: float
    alarm: bool


@dataclass(frozen=True)
class SeriesSummary:
    """The whole run: points seen, alarms raised (activations), seconds with the alarm on, time span."""

    points: int
    alarms_raised: int
    active_s: float
    first_ts: float | None
    last_ts: float | None

    @property
    def span_s(self) -> float:
        """Seconds from the first point to the last."""
        return 0.0 if self.first_ts is None or self.last_ts is None else self.last_ts - self.first_ts


class SeriesRunner:
    """Feeds one detector the points of one series, attributed to `device` (see the module docstring)."""

    def __init__(self, detector: Detector, device: Device) -> None:
        self._detector = detector
        self._device = device
        self._scoring = detector if isinstance(detector, Scoring) else None
        self._active: set[str] = set()
        self._points = 0
        self._raised = 0
        self._active_s = 0.0
        self._first_ts: float | None = None
        self._last_ts: float | None = None
        detector.on_devices({device.id: device})

    def step(self, ts: float, value: float) -> SeriesPoint:
        """Process the point at `ts`; its score and alarm."""
        detector, device = self._detector, self._device
        if self._last_ts is not None and self._active:
            self._active_s += max(ts - self._last_ts, 0.0)
        reading = Reading(device.tenant_id, device.id, SERIES_METRIC, value, ts, device.site_id, device.zone_id)
        raised_here = False
        for condition in (*detector.on_tick(ts), *detector.on_reading(reading, device)):
            key = condition.key.as_text()
            if condition.active:
                if key not in self._active:
                    self._active.add(key)
                    self._raised += 1
                    raised_here = True
            else:
                self._active.discard(key)
        alarm = raised_here or bool(self._active)
        if self._scoring is not None:
            score = self._scoring.score_of(device.id, SERIES_METRIC)
            point_score = 0.0 if score is None else score
        else:
            point_score = 1.0 if alarm else 0.0
        self._points += 1
        if self._first_ts is None:
            self._first_ts = ts
        self._last_ts = ts
        return SeriesPoint(point_score, alarm)

    def summary(self) -> SeriesSummary:
        """What the run has seen so far."""
        return SeriesSummary(self._points, self._raised, self._active_s, self._first_ts, self._last_ts)
