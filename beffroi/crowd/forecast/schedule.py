"""The event schedule of a zone, and what it implies for the crowd at any time.

A schedule is a list of sessions: a start (kick-off), an end, a label, and optionally the middle of the half-time
break and an attendance (any positive weight: tickets sold, or 1). Read as text:

- CSV with a header naming `start,end,label` and optionally `half_time` and `attendance` columns;
- YAML: a list of mappings with the same keys, or a mapping `{sessions: [...]}`.

Times are ISO 8601 with a UTC offset (`2024-07-26T19:30:00+02:00`) or epoch seconds. Sessions of 90 minutes or
more get a half-time break at their middle unless `half_time` says when (or `none` for no break).

From the schedule come five crowd features per time, each a sum over the sessions weighted by attendance (relative
to the largest session): 1 (a constant), people present (arrived minus left, 0 to 1), the arrival rate and the
departure rate (1 at their peaks), and the half-time break (present crowd × a bell 10 minutes wide). The curves
follow the published profile of stadium events (SessionProfile): arrivals over the 3 hours before the start,
peaking about 40 minutes before it, a few latecomers up to 20 minutes after; departures from 10 minutes before the
end to 45 minutes after, most of them within 25 minutes.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import msgspec
import numpy as np
import yaml

from beffroi.errors import RejectedInput

FEATURE_NAMES = ("constant", "present", "arrivals", "departures", "break")
FEATURE_COUNT = len(FEATURE_NAMES)
_GRID_S = 60.0
_CACHE_LIMIT = 512
"""Features are kept for this many minutes (the latest computed), enough for every zone sharing the schedule to
read its 30-minute horizon at each step without computing a minute twice."""
EPOCH_MS_THRESHOLD = 1e11


class Session(msgspec.Struct, frozen=True):
    """One session: kick-off and end (epoch seconds), a label, a weight, and its half-time break: at `half_time`
    (the middle of the break), else at the middle of sessions of 90 minutes or more unless `has_break` is False."""

    start: float
    end: float
    label: str = ""
    half_time: float | None = None
    attendance: float = 1.0
    has_break: bool = True


class SessionProfile(msgspec.Struct, frozen=True):
    """How a session's crowd arrives and leaves (seconds relative to the start or the end), and its break.

    Each curve is a Beta law stretched over its window, with its mode at the peak; `concentration` (a + b) sets how
    sharp it is.
    """

    arrival_before_s: float = 3 * 3600.0
    arrival_after_s: float = 20 * 60.0
    arrival_peak_before_s: float = 40 * 60.0
    arrival_concentration: float = 7.0
    departure_before_s: float = 10 * 60.0
    departure_after_s: float = 45 * 60.0
    departure_peak_after_s: float = 8 * 60.0
    departure_concentration: float = 8.0
    break_min_session_s: float = 90 * 60.0
    break_half_width_s: float = 10 * 60.0


class _Curve:
    """Cumulative share and density (1 at the peak) of a Beta law over [lo, hi] seconds, by table look-up."""

    def __init__(self, lo: float, hi: float, peak: float, concentration: float, points: int = 600) -> None:
        mode = min(max((peak - lo) / (hi - lo), 0.02), 0.98)
        a = 1.0 + mode * (concentration - 2.0)
        b = 1.0 + (1.0 - mode) * (concentration - 2.0)
        u = np.linspace(0.0, 1.0, points + 1)
        pdf = u ** (a - 1.0) * (1.0 - u) ** (b - 1.0)
        cdf = np.concatenate(([0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2.0)))
        self.lo = lo
        self.hi = hi
        self._scale = points / (hi - lo)
        self._cdf: list[float] = (cdf / cdf[-1]).tolist()
        self._rate: list[float] = (pdf / pdf.max()).tolist()

    def _lookup(self, table: list[float], x: float) -> float:
        pos = (x - self.lo) * self._scale
        i = int(pos)
        if i >= len(table) - 1:
            return table[-1]
        return table[i] + (table[i + 1] - table[i]) * (pos - i)

    def share(self, x: float) -> float:
        """Share of the law below `x`."""
        if x <= self.lo:
            return 0.0
        if x >= self.hi:
            return 1.0
        return self._lookup(self._cdf, x)

    def rate(self, x: float) -> float:
        """Density at `x`, 1 at the peak."""
        if x <= self.lo or x >= self.hi:
            return 0.0
        return self._lookup(self._rate, x)


class Schedule:
    """A zone's (or site's) sessions and the crowd features they imply at any time (see the module docstring)."""

    def __init__(self, sessions: Sequence[Session], profile: SessionProfile | None = None) -> None:
        self.profile = profile or SessionProfile()
        p = self.profile
        self.sessions = sorted(sessions, key=lambda s: s.start)
        self._starts = [s.start for s in self.sessions]
        heaviest = max((s.attendance for s in self.sessions), default=1.0)
        self._weights = [s.attendance / heaviest if heaviest > 0 else 0.0 for s in self.sessions]
        self._longest = max((s.end - s.start for s in self.sessions), default=0.0)
        self._arrivals = _Curve(
            -p.arrival_before_s, p.arrival_after_s, -p.arrival_peak_before_s, p.arrival_concentration
        )
        self._departures = _Curve(
            -p.departure_before_s, p.departure_after_s, p.departure_peak_after_s, p.departure_concentration
        )
        self._breaks = [self._break_mid(s) for s in self.sessions]
        self._cache: dict[int, tuple[float, ...]] = {}

    def _break_mid(self, session: Session) -> float | None:
        if not session.has_break:
            return None
        if session.half_time is not None:
            return session.half_time
        if session.end - session.start >= self.profile.break_min_session_s:
            return (session.start + session.end) / 2.0
        return None

    def _exact(self, t: float) -> tuple[float, ...]:
        present = arrivals = departures = on_break = 0.0
        upper = bisect.bisect_right(self._starts, t + self.profile.arrival_before_s)
        reach = self._longest + self.profile.departure_after_s
        for i in range(upper - 1, -1, -1):
            session = self.sessions[i]
            if session.start + reach < t:
                break
            weight = self._weights[i]
            inside = max(self._arrivals.share(t - session.start) - self._departures.share(t - session.end), 0.0)
            present += weight * inside
            arrivals += weight * self._arrivals.rate(t - session.start)
            departures += weight * self._departures.rate(t - session.end)
            mid = self._breaks[i]
            if mid is not None:
                d = (t - mid) / self.profile.break_half_width_s
                on_break += weight * inside * math.exp(-d * d)
        return (1.0, present, arrivals, departures, on_break)

    def features(self, t: float) -> tuple[float, ...]:
        """The five features (FEATURE_NAMES) at epoch second `t`, taken at the nearest whole minute."""
        k = math.floor(t / _GRID_S + 0.5)
        found = self._cache.get(k)
        if found is None:
            if len(self._cache) >= _CACHE_LIMIT:
                del self._cache[next(iter(self._cache))]
            found = self._cache[k] = self._exact(k * _GRID_S)
        return found


NO_SCHEDULE = Schedule(())
"""A schedule without sessions: every feature but the constant is 0."""


def _parse_time(value: object, where: str) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise RejectedInput("bad_schedule", f"{where}: {value.isoformat()!r} has no UTC offset (add Z or +01:00)")
        return value.timestamp()
    if isinstance(value, date):
        raise RejectedInput("bad_schedule", f"{where}: {value.isoformat()!r} is a date without a time")
    if isinstance(value, bool):
        raise RejectedInput("bad_schedule", f"{where}: {value!r} is not a time")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                problem = f"{where}: {text!r} is neither ISO 8601 nor epoch seconds"
                raise RejectedInput("bad_schedule", problem) from None
            return _parse_time(moment, where)
    if not math.isfinite(seconds) or abs(seconds) > EPOCH_MS_THRESHOLD:
        raise RejectedInput("bad_schedule", f"{where}: {value!r} is not a time in epoch seconds")
    return seconds


def _session(item: Mapping[str, Any], where: str) -> Session:
    unknown = set(item) - {"start", "end", "label", "half_time", "attendance"}
    if unknown:
        raise RejectedInput("bad_schedule", f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    for key in ("start", "end"):
        if item.get(key) in (None, ""):
            raise RejectedInput("bad_schedule", f"{where}: `{key}` is missing")
    start = _parse_time(item["start"], f"{where}: start")
    end = _parse_time(item["end"], f"{where}: end")
    if end <= start:
        raise RejectedInput("bad_schedule", f"{where}: end must be after start")
    half = item.get("half_time")
    half_time: float | None = None
    if half not in (None, "") and str(half).strip().lower() != "none":
        half_time = _parse_time(half, f"{where}: half_time")
        if not start < half_time < end:
            raise RejectedInput("bad_schedule", f"{where}: half_time must be between start and end")
    no_break = half is not None and str(half).strip().lower() == "none"
    raw_attendance = item.get("attendance")
    attendance = 1.0
    if raw_attendance not in (None, ""):
        try:
            attendance = float(str(raw_attendance))
        except ValueError:
            attendance = math.nan
        if not (math.isfinite(attendance) and attendance > 0):
            raise RejectedInput("bad_schedule", f"{where}: attendance must be a number > 0, got {raw_attendance!r}")
    label = "" if item.get("label") is None else str(item["label"])
    return Session(
        start=start, end=end, label=label, half_time=half_time, attendance=attendance, has_break=not no_break
    )


def parse_schedule_csv(text: str) -> list[Session]:
    """Sessions from CSV text (see the module docstring); RejectedInput naming the line of a bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    names = [name.strip().lower() for name in reader.fieldnames or []]
    if "start" not in names or "end" not in names:
        raise RejectedInput("bad_schedule", "line 1: the header must name at least the columns `start` and `end`")
    reader.fieldnames = names
    sessions = []
    for row in reader:
        if all(not (value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        if None in row:
            raise RejectedInput("bad_schedule", f"line {reader.line_num}: more cells than the header names")
        item = {key: (value or "").strip() for key, value in row.items() if key}
        sessions.append(_session(item, f"line {reader.line_num}"))
    return sessions


def parse_schedule_yaml(text: str) -> list[Session]:
    """Sessions from YAML text (see the module docstring); RejectedInput naming the bad session."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RejectedInput("bad_schedule", f"not valid YAML: {error}") from None
    if isinstance(data, Mapping) and set(data) == {"sessions"}:
        data = data["sessions"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise RejectedInput("bad_schedule", "expected a list of sessions or a mapping {sessions: [...]}")
    sessions = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise RejectedInput("bad_schedule", f"sessions[{index}]: expected a mapping with start, end, label")
        sessions.append(_session(item, f"sessions[{index}]"))
    return sessions


def parse_schedule(text: str, *, name: str = "") -> list[Session]:
    """Sessions from a schedule file's text: CSV when `name` ends in .csv (or the text looks like a CSV header)."""
    first = text.lstrip("\ufeff").lstrip().split("\n", 1)[0].lower()
    looks_csv = "," in first and "start" in first and ":" not in first.split(",")[0]
    if name.lower().endswith(".csv") or (not name.lower().endswith((".yaml", ".yml")) and looks_csv):
        return parse_schedule_csv(text)
    return parse_schedule_yaml(text)
