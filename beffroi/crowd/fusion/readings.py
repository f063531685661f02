"""Readings from the bus (people counters, turnstiles, cameras' zone counts) and mobile slots as fusion inputs."""

from __future__ import annotations

import math
from collections.abc import Iterable

from beffroi.crowd.fusion.observations import Observation, SourceKind, ZoneCountObservation, ZoneFlowObservation
from beffroi.crowd.fusion.settings import FusionZone
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Zone

VIDEO_PEOPLE = "zone_people."
VIDEO_DENSITY = "zone_density."
DEFAULT_INTERVAL_S = 10.0


class _PendingFlow:
    __slots__ = ("entered", "left", "ts", "zone_id")

    def __init__(self, ts: float, zone_id: str) -> None:
        self.ts = ts
        self.zone_id = zone_id
        self.entered: float | None = None
        self.left: float | None = None


class ReadingTranslator:
    """Turns readings into fusion observations, for the zones given; readings of other zones or metrics give none.

    - people counter: `count_in` and `count_out` of one report (same device and time) make one counter flow over
      the time since the device's previous report; `occupancy` is a level figure (`occupancy_ratio`, the same
      figure over the capacity, is left out);
    - turnstile: `passages` is a flow of entries;
    - camera: `zone_density.<camera zone>` × the scenario zone's area is a video figure; the camera zone's
      covered area is learnt from the `zone_people.<camera zone>` of the same frame (people / density).
    Memory: a few numbers per device and camera zone.
    """

    def __init__(self, zones: Iterable[Zone | FusionZone], default_interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self._zones: dict[str, FusionZone] = {}
        for zone in zones:
            spec = zone if isinstance(zone, FusionZone) else FusionZone.of(zone)
            self._zones[spec.zone_id] = spec
        self._default_interval_s = default_interval_s
        self._pending: dict[str, _PendingFlow] = {}
        self._last_report: dict[str, float] = {}
        self._video_people: dict[tuple[str, str], tuple[float, float]] = {}
        self._covered_m2: dict[tuple[str, str], float] = {}

    def translate(self, reading: Reading) -> list[Observation]:
        """The observations this reading completes (often none, or the previous report of its device)."""
        zone = self._zones.get(reading.zone_id or "")
        if zone is None or not math.isfinite(reading.value) or not math.isfinite(reading.ts):
            return []
        metric, device = reading.metric, reading.device_id
        if metric in ("count_in", "count_out"):
            return self._counter(reading, zone)
        if metric == "occupancy":
            return [
                ZoneCountObservation(
                    zone.zone_id, f"occupancy:{device}", SourceKind.OCCUPANCY, reading.ts, max(reading.value, 0.0)
                )
            ]
        if metric == "passages":
            interval = self._interval(device, reading.ts)
            return [
                ZoneFlowObservation(
                    zone.zone_id,
                    f"turnstile:{device}",
                    SourceKind.TURNSTILE,
                    reading.ts,
                    max(reading.value, 0.0),
                    0.0,
                    interval,
                )
            ]
        if metric.startswith(VIDEO_PEOPLE):
            self._video_people[(device, metric[len(VIDEO_PEOPLE) :])] = (reading.ts, reading.value)
            return []
        if metric.startswith(VIDEO_DENSITY):
            return self._video(reading, zone, metric[len(VIDEO_DENSITY) :])
        return []

    def flush(self) -> list[Observation]:
        """The counter reports still waiting for their other half (the missing side counted as 0)."""
        out: list[Observation] = [self._flow(device, p) for device, p in self._pending.items()]
        self._pending.clear()
        return out

    def _counter(self, reading: Reading, zone: FusionZone) -> list[Observation]:
        device = reading.device_id
        out: list[Observation] = []
        pending = self._pending.get(device)
        if pending is not None and (pending.ts != reading.ts or pending.zone_id != zone.zone_id):
            out.append(self._flow(device, pending))
            pending = None
        if pending is None:
            pending = self._pending[device] = _PendingFlow(reading.ts, zone.zone_id)
        value = max(reading.value, 0.0)
        if reading.metric == "count_in":
            pending.entered = value
        else:
            pending.left = value
        if pending.entered is not None and pending.left is not None:
            out.append(self._flow(device, pending))
            del self._pending[device]
        return out

    def _flow(self, device: str, pending: _PendingFlow) -> ZoneFlowObservation:
        interval = self._interval(device, pending.ts)
        return ZoneFlowObservation(
            pending.zone_id,
            f"counter:{device}",
            SourceKind.COUNTER,
            pending.ts,
            pending.entered or 0.0,
            pending.left or 0.0,
            interval,
        )

    def _interval(self, device: str, ts: float) -> float:
        last = self._last_report.get(device)
        self._last_report[device] = ts if last is None else max(last, ts)
        if last is None or ts <= last:
            return self._default_interval_s
        return ts - last

    def _video(self, reading: Reading, zone: FusionZone, camera_zone: str) -> list[Observation]:
        key = (reading.device_id, camera_zone)
        density = max(reading.value, 0.0)
        people = self._video_people.get(key)
        if people is not None and people[0] == reading.ts and density > 0 and people[1] > 0:
            self._covered_m2[key] = people[1] / density
        covered = self._covered_m2.get(key)
        fraction = None if covered is None else min(covered / zone.area_m2, 1.0)
        source = f"video:{reading.device_id}/{camera_zone}"
        return [
            ZoneCountObservation(
                zone.zone_id, source, SourceKind.VIDEO, reading.ts, density * zone.area_m2, covered_fraction=fraction
            )
        ]


def mobile_observation(
    zone_id: str,
    operator: str,
    slot_start: float,
    slot_end: float,
    people: float | None,
    *,
    fewer_than_k: bool = False,
    k: int = 20,
    market_share: float = 1.0,
) -> ZoneCountObservation | None:
    """A mobile-network slot figure as a fusion input: people present on average over [slot_start, slot_end).

    A withheld figure (`people` None with `fewer_than_k`) becomes an upper bound of k subscribers scaled by the
    market share; a withheld figure without that flag gives nothing.
    """
    window = max(slot_end - slot_start, 0.0)
    source = f"mobile:{operator}"
    if people is not None:
        return ZoneCountObservation(zone_id, source, SourceKind.MOBILE, slot_end, max(people, 0.0), window_s=window)
    if not fewer_than_k or market_share <= 0:
        return None
    bound = k / market_share
    return ZoneCountObservation(zone_id, source, SourceKind.MOBILE, slot_end, None, window_s=window, upper_bound=bound)
