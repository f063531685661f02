"""The simulator: every device of the scenario reporting on its own schedule, with injected incidents.

Device reports are kept in a heap of next-report times (O(log n) per message) and produced in time order.
The same scenario, seed and time origin give byte-identical messages, however the time is advanced.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from beffroi.errors import ConfigError
from beffroi.sim.catalogue import Catalogue, SimDevice
from beffroi.sim.clock import SimClock, TimeOrigin
from beffroi.sim.crowd import CrowdModel
from beffroi.sim.devices import DeviceModel, Environment, build_device_model
from beffroi.sim.ground_truth import GroundTruth, GroundTruthLog
from beffroi.sim.incidents import (
    EXPECTED_ALARMS,
    SILENT_MIN_INTERVALS,
    Incident,
    IncidentSpec,
    apply_incident,
    available_kinds,
    random_spec,
    resolve_targets,
    to_spec,
)
from beffroi.sim.local_time import LocalTime
from beffroi.sim.payloads import DevicePayload, Location, PayloadEncoder
from beffroi.sim.scenario import Scenario
from beffroi.sim.seeding import stream
from beffroi.sim.weather import Weather

JITTER = 0.03
"""Each interval between two reports of a device is its nominal interval ±3 %."""
RUN_BATCH = 2000
"""Most messages produced at once by `run` before it awaits the publisher."""
MAX_SLEEP_S = 1.0

Publish = Callable[[str, bytes], Awaitable[None]]
_SCHEDULED = 0
_EXTRA = 1


class _Slot:
    """A device's model and its running state in the schedule."""

    __slots__ = (
        "device",
        "device_id",
        "effects",
        "id_prefix",
        "last_t",
        "low",
        "model",
        "model_name",
        "random",
        "report",
        "seq",
        "span",
        "topic",
    )

    def __init__(self, device: SimDevice, model: DeviceModel, first: float, id_prefix: str) -> None:
        self.device = device
        self.device_id = device.id
        self.model = model
        self.report = model.report
        self.random = model.rng.random
        self.low = device.interval_s * (1.0 - JITTER)
        self.span = device.interval_s * 2 * JITTER
        self.last_t = first - device.interval_s
        self.seq = 0
        self.effects: list[Incident] = []
        self.id_prefix = id_prefix
        self.model_name = device.model or None
        self.topic = device.topic


class SimMessage(msgspec.Struct, frozen=True, gc=False):
    """One message to publish: its topic, payload bytes, the emitted timestamp (epoch s) and the device."""

    topic: str
    payload: bytes
    ts: float
    device_id: str


def _aware(moment: datetime, timezone: str) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))


class Simulator:
    """Simulates a scenario's devices, crowds and incidents; see the module docstring.

    - `speed`: scenario seconds per wall second for `run` (`math.inf`: as fast as possible).
    - `time_origin`: "now" shifts emitted timestamps so that the simulation start is the wall clock when
      messages begin (construction for the step API, the start of `run`), or `wall_start` when given;
      "scenario" emits the scenario's own dates.
    - `start`: where in the scenario to begin (default: the scenario's `start`; naive means its time zone).
    - `sites`: the ids of the sites to simulate (default: all).
    - `incidents`: IncidentSpec, mappings or objects with the same fields (kind, at_s, site, zone, device,
      duration_s); `random_incidents_per_hour` adds incidents drawn from the seed.
    - `ground_truth_path`: a JSON-lines file each incident is appended to when it starts.
    - `pir_false_positives_per_day`: nuisance motion of each PIR (0 for none).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 42,
        speed: float = 1.0,
        time_origin: TimeOrigin = "now",
        sites: list[str] | None = None,
        incidents: Iterable[object] = (),
        random_incidents_per_hour: float = 0.0,
        ground_truth_path: Path | None = None,
        topic_prefix: str = "beffroi",
        start: datetime | None = None,
        wall_start: float | None = None,
        pir_false_positives_per_day: float = 0.2,
    ) -> None:
        if not (0 <= random_incidents_per_hour < math.inf):
            raise ConfigError(
                "simulator", [f"random_incidents_per_hour: must be ≥ 0 (got {random_incidents_per_hour!r})"]
            )
        if not (0 <= pir_false_positives_per_day < math.inf):
            raise ConfigError(
                "simulator", [f"pir_false_positives_per_day: must be ≥ 0 (got {pir_false_positives_per_day!r})"]
            )
        self.scenario = scenario
        self.seed = seed
        local_time = LocalTime(scenario.timezone)
        self.start = _aware(start or scenario.start, scenario.timezone).timestamp()
        self.clock = SimClock(self.start, speed=speed, time_origin=time_origin, wall_start=wall_start)
        self.catalogue = Catalogue(scenario, sites=sites, topic_prefix=topic_prefix)
        self.environment = Environment(
            catalogue=self.catalogue,
            crowd=CrowdModel(self.catalogue, local_time, seed),
            weather=Weather(local_time, seed),
            local_time=local_time,
            start=self.start,
            pir_false_positives_per_day=pir_false_positives_per_day,
        )
        self.run_tag = hashlib.blake2b(f"{seed}:{self.start}:{self.clock.offset}".encode(), digest_size=4).hexdigest()
        self.ground_truth = GroundTruthLog(ground_truth_path)
        self.incidents: list[Incident] = []
        self._encoder = PayloadEncoder()
        self._position = self.start
        self._begun = False
        self._slots: list[_Slot] = []
        self._heap: list[tuple[float, int, int]] = []
        for device in self.catalogue.devices:
            rng = stream(seed, "device", device.id)
            model = build_device_model(device, self.environment, rng)
            first = self.start + device.interval_s * rng.random()
            self._slots.append(_Slot(device, model, first, f"{device.id}-{self.run_tag}-"))
            self._heap.append((first, device.index, _SCHEDULED))
        heapq.heapify(self._heap)
        self._pending: list[tuple[float, int, Incident]] = []
        self._incident_rng = stream(seed, "incidents")
        self._random_rng = stream(seed, "random-incidents")
        self._random_rate = random_incidents_per_hour / 3600.0
        self._random_kinds = available_kinds(self.catalogue) if self._random_rate > 0 else []
        self._random_count = 0
        self._next_random = (
            self.start + self._random_rng.expovariate(self._random_rate) if self._random_kinds else math.inf
        )
        for index, item in enumerate(incidents):
            spec = to_spec(item, index)
            incident = self._plan(spec, "injected", f"inc-{self.run_tag}-{index + 1:04d}", index)
            heapq.heappush(self._pending, (incident.start, index, incident))

    @property
    def position(self) -> float:
        """The scenario time (epoch seconds) reached so far."""
        return self._position

    @property
    def devices(self) -> list[SimDevice]:
        """The simulated devices."""
        return self.catalogue.devices

    def next_report_time(self) -> float:
        """Scenario time of the next message (math.inf when no device is left)."""
        return self._heap[0][0] if self._heap else math.inf

    def _plan(self, spec: IncidentSpec, source: str, incident_id: str, index: int | None) -> Incident:
        site_id, zone_id, devices = resolve_targets(spec, self.catalogue, self._incident_rng, index)
        start = self.start + spec.at_s
        duration = spec.duration_s
        if source == "random" and spec.kind == "device_silent":
            duration = max(duration, SILENT_MIN_INTERVALS * devices[0].interval_s)
        capacity = self.catalogue.zones[zone_id].capacity if zone_id is not None else 0
        incident = Incident(
            id=incident_id,
            kind=spec.kind,
            source=source,
            start=start,
            end=start + duration,
            site_id=site_id,
            zone_id=zone_id,
            devices=devices,
            zone_capacity=capacity,
        )
        for device in devices:
            self._slots[device.index].effects.append(incident)
            for moment in incident.extra_report_times():
                heapq.heappush(self._heap, (moment, device.index, _EXTRA))
        self.incidents.append(incident)
        return incident

    def _next_due(self) -> float:
        pending = self._pending[0][0] if self._pending else math.inf
        return min(pending, self._next_random)

    def _activate_due(self) -> None:
        """Start the earliest due incident: record its ground truth (and draw it, when random)."""
        if self._pending and self._pending[0][0] <= self._next_random:
            incident = heapq.heappop(self._pending)[2]
        else:
            at = self._next_random
            self._random_count += 1
            spec = random_spec(self._random_rng, self._random_kinds, at - self.start)
            incident_id = f"rnd-{self.run_tag}-{self._random_count:04d}"
            incident = self._plan(spec, "random", incident_id, None)
            self._next_random = at + self._random_rng.expovariate(self._random_rate)
        emitted = self.clock.emitted_ts
        self.ground_truth.add(
            GroundTruth(
                incident_id=incident.id,
                kind=incident.kind,
                source=incident.source,
                tenant_id=self.catalogue.tenant_id,
                site_id=incident.site_id,
                zone_id=incident.zone_id,
                device_ids=[d.id for d in incident.devices],
                start_ts=round(emitted(incident.start), 3),
                end_ts=round(emitted(incident.end), 3),
                expected_alarms=list(EXPECTED_ALARMS[incident.kind]),
            )
        )

    def _advance(self, t_end: float, limit: int) -> list[SimMessage]:
        """Messages due up to scenario time `t_end` (at most `limit`), in time order."""
        out: list[SimMessage] = []
        append = out.append
        heap = self._heap
        heapreplace = heapq.heapreplace
        slots = self._slots
        timestamp = self._encoder.timestamp
        encode = self._encoder.encode_payload
        offset = self.clock.offset
        self._begun = True
        due = self._next_due()
        reached = self._position
        while heap:
            t, index, kind = heap[0]
            if due <= t and due <= t_end:
                self._activate_due()
                due = self._next_due()
                continue
            if t > t_end:
                break
            slot = slots[index]
            if kind == _SCHEDULED:
                heapreplace(heap, (t + slot.low + slot.span * slot.random(), index, _SCHEDULED))
            else:
                heapq.heappop(heap)
            active = slot.effects
            if active:
                active[:] = [incident for incident in active if incident.end > t]
                now = [incident for incident in active if incident.start <= t]
                if any(incident.kind == "device_silent" for incident in now):
                    continue
                report = slot.report(t, t - slot.last_t)
                for incident in now:
                    apply_incident(incident, slot.device, report, t)
            else:
                report = slot.report(t, t - slot.last_t)
            reached = slot.last_t = t
            slot.seq += 1
            ts_ms = round((t + offset) * 1000.0)
            location = report.location
            payload = encode(
                DevicePayload(
                    f"{slot.id_prefix}{slot.seq}",
                    slot.device_id,
                    timestamp(ts_ms),
                    report.value,
                    slot.model_name,
                    None if location is None else Location(*location),
                    report.event,
                )
            )
            append(SimMessage(slot.topic, payload, ts_ms / 1000.0, slot.device_id))
            if len(out) >= limit:
                self._position = reached
                return out
        if math.isfinite(t_end):
            while self._next_due() <= t_end:
                self._activate_due()
            reached = max(reached, t_end)
        self._position = reached
        return out

    def messages_until(self, t_sc: float) -> list[SimMessage]:
        """Every message due up to scenario time `t_sc` (epoch seconds), in time order; advances the position."""
        if math.isnan(t_sc):
            raise ValueError("t_sc must be a number, not NaN")
        return self._advance(t_sc, limit=2**62)

    def messages_for(self, seconds: float) -> list[SimMessage]:
        """Every message of the next `seconds` of scenario time."""
        return self.messages_until(self._position + seconds)

    async def run(
        self,
        publish: Publish,
        *,
        duration_s: float | None = None,
        scenario_s: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> int:
        """Publish messages paced by the clock until `duration_s` wall seconds, `scenario_s` scenario seconds,
        or `stop` is set (whichever comes first; none: forever). Returns how many were published.

        Paced runs end at a scenario time fixed in advance (position + duration × speed), so the same
        arguments publish the same messages; as-fast-as-possible runs stop on the wall clock.
        """
        for name, value in (("duration_s", duration_s), ("scenario_s", scenario_s)):
            if value is not None and not value >= 0:
                raise ConfigError("simulator", [f"run {name}: must be ≥ 0 (got {value!r})"])
        if not self._begun:
            self.clock.restart_wall()  # built a while ago: "now" is when the run begins
        end = self._position + scenario_s if scenario_s is not None else math.inf
        if self.clock.as_fast_as_possible:
            return await self._run_unpaced(publish, end, duration_s, stop)
        if duration_s is not None:
            end = min(end, self._position + duration_s * self.clock.speed)
        self.clock.anchor(self._position)
        published = 0
        while not (stop is not None and stop.is_set()):
            target = min(self.clock.scenario_now(), end)
            while True:
                batch = self._advance(target, RUN_BATCH)
                for message in batch:
                    await publish(message.topic, message.payload)
                published += len(batch)
                if len(batch) < RUN_BATCH:
                    break
            if target >= end:
                break
            delay = min(self.clock.wall_delay(min(self.next_report_time(), end)), MAX_SLEEP_S)
            if stop is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        return published

    async def _run_unpaced(
        self, publish: Publish, end: float, duration_s: float | None, stop: asyncio.Event | None
    ) -> int:
        deadline = time.monotonic() + duration_s if duration_s is not None else math.inf
        published = 0
        while not (stop is not None and stop.is_set()) and time.monotonic() < deadline:
            batch = self._advance(end, RUN_BATCH)
            for message in batch:
                await publish(message.topic, message.payload)
            published += len(batch)
            if len(batch) < RUN_BATCH:
                break
            await asyncio.sleep(0)
        return published
