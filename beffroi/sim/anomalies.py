"""Labelled series for evaluating anomaly detectors: weeks of one simulated sensor's metric, anomalies injected.

A series is one metric of one simulated device (the simulator's own device models, in an arena with a weekly
event schedule, so values follow the weather's daily cycle, traffic and the crowd's weekly rhythm), reported at
a realistic interval (±3 % jitter, as the simulator does) over `days` days. Anomalies of one kind are then
injected at onsets drawn from the seed, after `settle_days` (the time a detector is given to learn the weekly
cycle) and spaced so that their NAB windows (10 % of the series divided among the anomalies) neither overlap
nor reach the NAB probationary period. Kinds, with magnitudes relative to the clean series' spread
(5th-95th percentile):

- spike: one to three readings off by 0.25-1 spread (either sign);
- level_shift: from the onset on, every reading off by 0.15-0.4 spread (a moved or knocked sensor);
- drift: a ramp over 6-24 h to 0.2-0.5 spread, held afterwards (a fouled or ageing sensor);
- stuck: the reading frozen at its last value for 3-12 h (a hung sensor);
- seasonal_break: for 8-14 h the series replays itself 12 h late (a clock fault: the day's pattern at night).

Everything is deterministic from the spec (its seed and name). `corpus("tuning")` lists the series detectors
may be tuned on; `corpus("held_out")` lists other devices, metrics and seeds, never used for tuning.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import numpy.typing as npt

from beffroi.domain.registry import DEVICE_PROFILES, DeviceKind, ZoneKind
from beffroi.errors import ConfigError
from beffroi.sim.catalogue import Catalogue
from beffroi.sim.crowd import CrowdModel
from beffroi.sim.devices import Environment, build_device_model
from beffroi.sim.local_time import LocalTime
from beffroi.sim.scenario import Scenario, parse_scenario
from beffroi.sim.seeding import stream
from beffroi.sim.simulator import JITTER
from beffroi.sim.weather import Weather

AnomalyKind = Literal["spike", "level_shift", "drift", "stuck", "seasonal_break"]
ANOMALY_KINDS: tuple[AnomalyKind, ...] = ("spike", "level_shift", "drift", "stuck", "seasonal_break")
Split = Literal["tuning", "held_out"]

HOUR = 3600.0
DAY = 86_400.0
NAB_WINDOW_FRACTION = 0.10
NAB_PROBATION_FRACTION = 0.15
NAB_PROBATION_CAP = 750
"""NAB's probationary period: the first min(15 % of the points, 750) points are not scored."""
START = "2024-06-03T00:00:00+02:00"
"""A Monday: series start at local midnight so that day-of-week patterns line up with the schedule."""
TIMEZONE = "Europe/Paris"
LON, LAT = 2.3601, 48.9244
METRES_PER_DEGREE = 111_320.0
SEASONAL_BREAK_LAG_S = 12 * HOUR

FloatArray = npt.NDArray[np.float64]


class SeriesSpec(msgspec.Struct, frozen=True):
    """One labelled series to generate: which device kind and metric, where it stands, what goes wrong and when."""

    name: str
    device_kind: DeviceKind
    metric: str
    anomaly_kind: AnomalyKind
    zone_kind: ZoneKind | None = None
    """The kind of arena zone the device stands in; None: the site itself (no zone)."""
    anomalies: int = 2
    seed: int = 0
    interval_s: float = 60.0
    days: float = 35.0
    settle_days: float = 7.0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.metric not in DEVICE_PROFILES[self.device_kind].metrics:
            problems.append(f"`metric` {self.metric!r} is not reported by {self.device_kind.value} devices")
        if self.anomaly_kind not in ANOMALY_KINDS:
            problems.append(f"`anomaly_kind` must be one of {', '.join(ANOMALY_KINDS)}, got {self.anomaly_kind!r}")
        if not 0 <= self.anomalies <= 10:
            problems.append(f"`anomalies` must be 0 to 10, got {self.anomalies!r}")
        if not (math.isfinite(self.interval_s) and 1.0 <= self.interval_s <= HOUR):
            problems.append(f"`interval_s` must be 1 to 3600 seconds, got {self.interval_s!r}")
        if not (math.isfinite(self.days) and 2.0 <= self.days <= 120.0):
            problems.append(f"`days` must be 2 to 120, got {self.days!r}")
        if not (0 <= self.settle_days < self.days):
            problems.append(f"`settle_days` must be >= 0 and below `days`, got {self.settle_days!r}")
        if problems:
            raise ConfigError(f"labelled series {self.name!r}", problems)

    @property
    def device_id(self) -> str:
        """The simulated device's id (its random stream is named after it)."""
        return f"dev-{self.name}"


class InjectedAnomaly(msgspec.Struct, frozen=True):
    """One injected anomaly: its kind, where it is (indexes into the series, inclusive) and its size.

    `start_index` is the onset, the point NAB centres the anomaly's window on. The span [start, end] is the
    ground truth of where the series departs from its clean self by the anomaly's own change (a spike's
    readings, a shift's onset, a drift's ramp, a stuck or time-shifted stretch); shifts and drifts persist
    after their span.
    """

    kind: AnomalyKind
    start_index: int
    end_index: int
    start_ts: float
    end_ts: float
    magnitude: float
    """Offset in the metric's unit (spike, shift, drift: signed); the value held (stuck); the lag in s (break)."""


@dataclass(frozen=True)
class LabelledSeries:
    """A generated series: timestamps, values (anomalies included), the clean values and the ground truth."""

    spec: SeriesSpec
    timestamps: FloatArray
    values: FloatArray
    clean: FloatArray
    anomalies: tuple[InjectedAnomaly, ...]

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def labels(self) -> npt.NDArray[np.int8]:
        """1 on every point of an anomaly's ground-truth span, 0 elsewhere."""
        labels = np.zeros(len(self), dtype=np.int8)
        for anomaly in self.anomalies:
            labels[anomaly.start_index : anomaly.end_index + 1] = 1
        return labels

    @property
    def onsets(self) -> list[int]:
        """The index of each anomaly's onset, in time order (NAB's labels)."""
        return [anomaly.start_index for anomaly in self.anomalies]

    def write_csv(self, path: Path) -> None:
        """Write `timestamp,value,label` (the input of `beffroi detect`, with the ground truth alongside)."""
        labels = self.labels
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "label"])
            for ts, value, label in zip(self.timestamps, self.values, labels, strict=True):
                writer.writerow([f"{ts:.3f}", repr(float(value)), int(label)])


def nab_window_length(points: int, labels: int) -> int:
    """NAB's window length in points: 10 % of the series divided among its labels."""
    return int(NAB_WINDOW_FRACTION * points / max(labels, 1))


def nab_probation_length(points: int) -> int:
    """NAB's probationary period in points: min(floor(15 % of the series), 750)."""
    return min(math.floor(NAB_PROBATION_FRACTION * points), NAB_PROBATION_CAP)


def generate_series(spec: SeriesSpec) -> LabelledSeries:
    """The series `spec` describes: the simulated metric, then its anomalies (same spec, same series)."""
    timestamps, clean = _simulate(spec)
    values = clean.copy()
    anomalies = _inject(spec, timestamps, values, clean)
    return LabelledSeries(spec=spec, timestamps=timestamps, values=values, clean=clean, anomalies=anomalies)


# --- the simulated sensor ----------------------------------------------------------------------------------------

_ZONES: dict[ZoneKind, tuple[float, int]] = {
    ZoneKind.STAND: (140.0, 20_000),
    ZoneKind.CONCOURSE: (70.0, 4_000),
    ZoneKind.GATE: (30.0, 1_500),
    ZoneKind.PLAZA: (100.0, 6_000),
}
"""The arena's zones: (side of the square in metres, capacity)."""

_WEEKLY_SESSIONS: tuple[tuple[int, float, float, int], ...] = (
    (2, 20.75, 2.0, 18_000),
    (5, 21.0, 2.0, 20_000),
    (6, 15.0, 2.0, 12_000),
)
"""(weekday, local start hour, hours, nominal attendance): a Wednesday and a Saturday night match, a Sunday one."""


def _square(lon: float, lat: float, side_m: float) -> dict[str, Any]:
    half_lat = side_m / 2 / METRES_PER_DEGREE
    half_lon = side_m / 2 / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    ring = [
        [lon - half_lon, lat - half_lat],
        [lon + half_lon, lat - half_lat],
        [lon + half_lon, lat + half_lat],
        [lon - half_lon, lat + half_lat],
        [lon - half_lon, lat - half_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def arena_scenario(spec: SeriesSpec) -> Scenario:
    """An arena with a stand, a concourse, a gate and a plaza, three matches a week, and the spec's device."""
    start = datetime.fromisoformat(START)
    rng = stream(spec.seed, "schedule", spec.name)
    schedule = []
    for day in range(math.ceil(spec.days) + 1):
        date = start + timedelta(days=day)
        for weekday, hour, hours, attendance in _WEEKLY_SESSIONS:
            if date.weekday() != weekday:
                continue
            begin = date + timedelta(hours=hour)
            schedule.append(
                {
                    "name": f"match {day}",
                    "start": begin.isoformat(),
                    "end": (begin + timedelta(hours=hours)).isoformat(),
                    "attendance": round(attendance * rng.uniform(0.75, 1.0)),
                }
            )
    zones = [
        {
            "id": kind.value.replace("_", "-"),
            "name": kind.value,
            "kind": kind.value,
            "area_m2": side * side,
            "capacity": capacity,
            "geometry": _square(LON, LAT, side),
        }
        for kind, (side, capacity) in _ZONES.items()
    ]
    zone_id = None if spec.zone_kind is None else spec.zone_kind.value.replace("_", "-")
    device = {
        "id": spec.device_id,
        "kind": spec.device_kind.value,
        "position": [LON, LAT],
        "zone": zone_id,
        "interval_s": spec.interval_s,
    }
    return parse_scenario(
        {
            "format_version": 1,
            "name": f"labelled series {spec.name}",
            "tenant": {"id": "series", "name": "Labelled series"},
            "timezone": TIMEZONE,
            "start": START,
            "sites": [
                {
                    "id": "arena",
                    "name": "Arena",
                    "kind": "stadium",
                    "position": [LON, LAT],
                    "zones": zones,
                    "devices": [device],
                    "schedule": schedule,
                }
            ],
        },
        f"labelled series {spec.name}",
    )


def _simulate(spec: SeriesSpec) -> tuple[FloatArray, FloatArray]:
    """Timestamps and values of the spec's metric from the simulator's model of its device kind."""
    scenario = arena_scenario(spec)
    local_time = LocalTime(scenario.timezone)
    start = scenario.start.timestamp()
    catalogue = Catalogue(scenario)
    env = Environment(
        catalogue=catalogue,
        crowd=CrowdModel(catalogue, local_time, spec.seed),
        weather=Weather(local_time, spec.seed),
        local_time=local_time,
        start=start,
        pir_false_positives_per_day=0.0,
    )
    device = catalogue.devices[0]
    model = build_device_model(device, env, stream(spec.seed, "device", device.id))
    timing = stream(spec.seed, "timing", spec.name)
    interval = spec.interval_s
    end = start + spec.days * DAY
    t = start + interval * timing.random()
    previous = t - interval
    times: list[float] = []
    values: list[float] = []
    metric = spec.metric
    while t < end:
        values.append(float(model.report(t, t - previous).value[metric]))
        times.append(t)
        previous = t
        t += interval * (1.0 - JITTER + 2 * JITTER * timing.random())
    return np.asarray(times, dtype=np.float64), np.asarray(values, dtype=np.float64)


# --- the anomalies -----------------------------------------------------------------------------------------------


def _onsets(spec: SeriesSpec, timestamps: FloatArray, longest: int, rng_uniform: list[float]) -> list[int]:
    """Onset indexes: after the settling time and NAB's probation, windows apart, room left for the effect."""
    points = len(timestamps)
    count = spec.anomalies
    if count == 0:
        return []
    half = nab_window_length(points, count) // 2
    settle = int(np.searchsorted(timestamps, timestamps[0] + spec.settle_days * DAY))
    low = max(settle, nab_probation_length(points) + half + 1)
    high = points - 1 - max(half, longest) - 1
    segment = (high - low) / count
    gap = 2 * half + longest + 1
    if segment <= gap:
        raise ConfigError(
            f"labelled series {spec.name!r}",
            [f"{count} anomalies do not fit in {spec.days:g} days after {spec.settle_days:g} settling days"],
        )
    return [int(low + i * segment + rng_uniform[i] * (segment - gap)) for i in range(count)]


def _inject(
    spec: SeriesSpec, timestamps: FloatArray, values: FloatArray, clean: FloatArray
) -> tuple[InjectedAnomaly, ...]:
    """Apply the spec's anomalies to `values` in place, in time order; return their ground truth."""
    rng = stream(spec.seed, "anomalies", spec.name)
    low, high = np.percentile(clean, [5.0, 95.0])
    spread = max(float(high - low), 1e-6)
    interval = spec.interval_s
    longest_s = {
        "spike": 3 * interval,
        "level_shift": interval,
        "drift": 24 * HOUR,
        "stuck": 12 * HOUR,
        "seasonal_break": 14 * HOUR,
    }[spec.anomaly_kind]
    longest = math.ceil(longest_s / (interval * (1 - JITTER)))
    onsets = _onsets(spec, timestamps, longest, [rng.random() for _ in range(spec.anomalies)])
    injected: list[InjectedAnomaly] = []
    for onset in onsets:
        kind = spec.anomaly_kind
        sign = 1.0 if rng.random() < 0.5 else -1.0
        if kind == "spike":
            length = rng.randint(1, 3)
            magnitude = sign * rng.uniform(0.25, 1.0) * spread
            end = onset + length - 1
            values[onset : end + 1] += magnitude
        elif kind == "level_shift":
            magnitude = sign * rng.uniform(0.15, 0.4) * spread
            end = onset
            values[onset:] += magnitude
        elif kind == "drift":
            magnitude = sign * rng.uniform(0.2, 0.5) * spread
            ramp_s = rng.uniform(6 * HOUR, 24 * HOUR)
            elapsed = timestamps[onset:] - timestamps[onset]
            values[onset:] += magnitude * np.minimum(elapsed / ramp_s, 1.0)
            end = onset + int(np.searchsorted(elapsed, ramp_s)) - 1
        elif kind == "stuck":
            stuck_s = rng.uniform(3 * HOUR, 12 * HOUR)
            end = _index_after(timestamps, onset, stuck_s)
            magnitude = float(values[onset - 1])
            values[onset : end + 1] = magnitude
        else:
            break_s = rng.uniform(8 * HOUR, 14 * HOUR)
            end = _index_after(timestamps, onset, break_s)
            source = np.searchsorted(timestamps, timestamps[onset : end + 1] - SEASONAL_BREAK_LAG_S)
            values[onset : end + 1] = values[source]
            magnitude = SEASONAL_BREAK_LAG_S
        injected.append(
            InjectedAnomaly(
                kind=kind,
                start_index=onset,
                end_index=end,
                start_ts=float(timestamps[onset]),
                end_ts=float(timestamps[end]),
                magnitude=float(magnitude),
            )
        )
    return tuple(injected)


def _index_after(timestamps: FloatArray, onset: int, seconds: float) -> int:
    """The last index within `seconds` of the onset."""
    return int(np.searchsorted(timestamps, timestamps[onset] + seconds, side="right")) - 1


# --- the corpus --------------------------------------------------------------------------------------------------

_TUNING_SENSORS: tuple[tuple[str, DeviceKind, str, ZoneKind | None, float], ...] = (
    ("temp", DeviceKind.TEMPERATURE, "temperature_c", None, 300.0),
    ("co2", DeviceKind.AIR_QUALITY, "co2_ppm", ZoneKind.CONCOURSE, 120.0),
    ("noise", DeviceKind.NOISE_LEVEL, "laeq_db", ZoneKind.STAND, 120.0),
)
_HELD_OUT_SENSORS: tuple[tuple[str, DeviceKind, str, ZoneKind | None, float], ...] = (
    ("humidity", DeviceKind.TEMPERATURE, "humidity_pct", None, 300.0),
    ("no2", DeviceKind.AIR_QUALITY, "no2_ug_m3", ZoneKind.PLAZA, 120.0),
    ("heat", DeviceKind.SMOKE_HEAT, "temperature_c", ZoneKind.CONCOURSE, 60.0),
    ("occupancy", DeviceKind.PEOPLE_COUNTER, "occupancy", ZoneKind.PLAZA, 300.0),
)
"""Held-out series use other devices, other metrics and other seeds than the tuning ones."""


def corpus(split: Split, *, days: float = 35.0) -> list[SeriesSpec]:
    """The specs of one split: every anomaly kind on every sensor of the split (tuning: 15 series, held out: 20)."""
    if split == "tuning":
        sensors, base_seed = _TUNING_SENSORS, 1_000
    elif split == "held_out":
        sensors, base_seed = _HELD_OUT_SENSORS, 2_000
    else:
        raise ConfigError("labelled series", [f"unknown split {split!r} (known: tuning, held_out)"])
    specs: list[SeriesSpec] = []
    for k, kind in enumerate(ANOMALY_KINDS):
        for s, (label, device_kind, metric, zone_kind, interval) in enumerate(sensors):
            specs.append(
                SeriesSpec(
                    name=f"{split}-{label}-{kind}",
                    device_kind=device_kind,
                    metric=metric,
                    anomaly_kind=kind,
                    zone_kind=zone_kind,
                    anomalies=1 + (k + s) % 3,
                    seed=base_seed + 17 * k + s,
                    interval_s=interval,
                    days=days,
                )
            )
    return specs
