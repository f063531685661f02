"""The crowd worker: every source of people counts of a zone fused into one figure, its level of service judged,
published like a sensor's.

It consumes readings (`beffroi.readings.>`, durable consumer `crowd`): gate counters, turnstiles, cameras' zone
counts (and the mobile-network estimates when they are published as readings). Each zone gets a device of kind
`crowd_estimate` (`<zone id>-crowd`, registered at start) whose readings — `people`, `people_sd`, `density`,
`density_sd`, `level` (0 normal, 1 amber, 2 red) — go out every `crowd.tick_s` when the figure moved (1 %, or
another level), and at least every minute: the engine raises `crowd_amber` / `crowd_red` from `level`, the live
stream shows the fused count, the store keeps the history. Each level change also goes out as a `crowd_level` event
naming the sources that fed the figure. The estimate devices have no reporting interval: a zone nothing reports on
is not an offline device. With `crowd.forecast` on, each zone with levels is forecast 15 and 30 minutes ahead from
its fused count every minute (with the event schedule of `crowd.schedule`), and "red expected in N min"
announcements go out as `crowd_red_expected` events (the engine raises an alarm) and their cancellations as
`crowd_red_expected_cleared`. The forecast's figures go out with the estimate's readings (`forecast_15`,
`forecast_15_lo`, `forecast_15_hi`, and the same for 30 min, in people), and so do, for the charts, the people each
kind of source alone says (`people_video`, …) and its share of the figure (`weight_video`, …): see
`beffroi.crowd.estimate_metrics` for every metric's meaning.

Time is the readings' own (the newest seen), so an accelerated simulation or a replay is judged on its own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
from shapely.geometry import Polygon

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.config import BeffroiConfig
from beffroi.crowd import estimate_metrics
from beffroi.crowd.estimate_metrics import (
    COUNT_SOURCE_KINDS,
    FORECAST_MINUTES,
    SOURCE_KINDS,
    ForecastPart,
    forecast_metric,
    source_people_metric,
    source_weight_metric,
)
from beffroi.crowd.forecast import Forecast, Schedule, Session, ZoneWatch, parse_schedule
from beffroi.crowd.forecast import to_event as announcement_event
from beffroi.crowd.fusion import FusedZoneDensity, ReadingTranslator, SourceKind
from beffroi.crowd.fusion.readings import mobile_observation
from beffroi.crowd.fusion.source_figures import FigureKeepingFusion, kind_weights
from beffroi.crowd.levels.changes import CrowdLevel
from beffroi.crowd.levels.thresholds import level_config_for
from beffroi.crowd.levels.tracker import ServiceLevels
from beffroi.crowd.mobile.results import MobileSlotEstimate
from beffroi.domain import messages
from beffroi.domain.observations import Position, Reading, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind, Zone
from beffroi.errors import BeffroiError, ConfigError, RejectedInput
from beffroi.sim.scenario import load_scenario
from beffroi.store.store import Store
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.crowd")

DURABLE = "crowd"
MOBILE_DURABLE = "crowd-mobile"
"""The durable consumer of the mobile-network figures (`beffroi.crowd.mobile.<tenant>`)."""
ESTIMATE_SUFFIX = "-crowd"
LEVEL_VALUE = {CrowdLevel.NORMAL: 0.0, CrowdLevel.AMBER: 1.0, CrowdLevel.RED: 2.0}
ESTIMATE_METRICS = list(estimate_metrics.ESTIMATE_METRICS)
FORECAST_EVERY_S = 60.0
"""How often a zone's forecast takes its fused count."""
HEARTBEAT_S = 60.0
"""A zone's figure goes out at least this often (else only when it moves by 1 % or changes level)."""


def estimate_device_id(zone_id: str) -> str:
    """The id of a zone's `crowd_estimate` device."""
    return f"{zone_id}{ESTIMATE_SUFFIX}"


@dataclass(frozen=True, slots=True)
class _Published:
    """What was last published of a zone."""

    people: float
    level: CrowdLevel
    ts: float


@dataclass(slots=True)
class _Tenant:
    """One tenant's zones, the fusion of their sources and their levels."""

    zones: dict[str, Zone]
    translator: ReadingTranslator
    fusion: FigureKeepingFusion
    levels: ServiceLevels
    watches: dict[str, ZoneWatch]


class CrowdWorker:
    """Fuses, judges and publishes every zone's crowd figure (see the module docstring)."""

    name = "crowd"

    def __init__(self, config: BeffroiConfig, bus: Bus, store: Store, wall_clock: Callable[[], float] = time.time):
        self._config = config
        self._bus = bus
        self._store = store
        self._wall_clock = wall_clock
        self._tenants: dict[str, _Tenant] = {}
        self._estimate_ids: set[str] = set()
        self._published: dict[tuple[str, str], _Published] = {}
        self._forecast_at: dict[tuple[str, str], float] = {}
        self._sources_sent: dict[tuple[str, str, SourceKind], float] = {}
        self.announcements = 0
        self._subscription: Subscription | None = None
        self._mobile_subscription: Subscription | None = None
        self.mobile_figures_used = 0
        self._ticker: asyncio.Task[None] | None = None
        self._data_now = 0.0
        self.readings_used = 0
        self.figures_published = 0
        self.level_changes = 0

    def _forecast(
        self, tenant_id: str, tenant: _Tenant, figure: FusedZoneDensity, now: float
    ) -> tuple[list[tuple[str, bytes, str | None]], list[Reading]]:
        """Feed the zone's forecast its fused count once a minute; its announcements as bus messages and its
        figures as the estimate's readings."""
        watch = tenant.watches.get(figure.zone_id)
        key = (tenant_id, figure.zone_id)
        if watch is None or now - self._forecast_at.get(key, -math.inf) < FORECAST_EVERY_S:
            return [], []
        self._forecast_at[key] = now
        forecast, announcements = watch.observe(now, figure.people)
        zone = tenant.zones[figure.zone_id]
        out: list[tuple[str, bytes, str | None]] = []
        for announcement in announcements:
            event = announcement_event(announcement, tenant_id=tenant_id, site_id=zone.site_id)
            out.append((messages.events_subject(tenant_id, zone.site_id), messages.encode(event), event.event_id))
            self.announcements += 1
        return out, _forecast_readings(tenant_id, zone, forecast, now)

    def _source_readings(self, tenant_id: str, tenant: _Tenant, zone: Zone, figure: FusedZoneDensity) -> list[Reading]:
        """The people each kind of source alone says, at its newest figure's time, when newer than the last sent."""
        device = estimate_device_id(zone.id)
        out: list[Reading] = []
        for kind, seen in tenant.fusion.figures.by_kind(figure).items():
            key = (tenant_id, zone.id, kind)
            if kind not in COUNT_SOURCE_KINDS or seen.ts <= self._sources_sent.get(key, -math.inf):
                continue
            self._sources_sent[key] = seen.ts
            metric = source_people_metric(kind)
            out.append(Reading(tenant_id, device, metric, round(seen.people, 1), seen.ts, zone.site_id, zone.id))
        return out

    def _worth_publishing(self, tenant_id: str, figure: FusedZoneDensity, level: CrowdLevel, now: float) -> bool:
        """A zone's figure goes out when it moved enough, or `HEARTBEAT_S` after the last (the history stays even)."""
        key = (tenant_id, figure.zone_id)
        before = self._published.get(key)
        if before is not None and now - before.ts < HEARTBEAT_S and not _changed(before, figure.people, level):
            return False
        self._published[key] = _Published(figure.people, level, now)
        return True

    def now(self) -> float:
        """The readings' own time: the newest seen (the wall clock before any)."""
        return self._data_now or self._wall_clock()

    async def start(self) -> None:
        """Load the zones, register their estimate devices, subscribe to the readings, start the clock."""
        self._tenants = await asyncio.to_thread(self._load)
        devices = [_estimate_device(zone) for tenant in self._tenants.values() for zone in tenant.zones.values()]
        if devices:
            await asyncio.to_thread(self._store.upsert_devices, devices)
        self._estimate_ids = {device.id for device in devices}
        options = ConsumerOptions(batch=512, max_in_flight=4096)
        self._subscription = await self._bus.subscribe(messages.ALL_READINGS, DURABLE, self._on_readings, options)
        self._mobile_subscription = await self._bus.subscribe(
            messages.ALL_MOBILE_ESTIMATES, MOBILE_DURABLE, self._on_mobile_estimate, ConsumerOptions(batch=16)
        )
        self._ticker = asyncio.create_task(self._tick_forever(), name="crowd-tick")
        log.info("crowd: %d zone(s) of %d tenant(s)", len(devices), len(self._tenants))

    async def stop(self) -> None:
        """Stop the clock and the subscription."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._subscription is not None:
            await self._subscription.stop()
            self._subscription = None
        if self._mobile_subscription is not None:
            await self._mobile_subscription.stop()
            self._mobile_subscription = None

    def health(self) -> Health:
        """Zones, readings used, figures published, level changes."""
        return {
            "zones": sum(len(tenant.zones) for tenant in self._tenants.values()),
            "readings_used": self.readings_used,
            "figures_published": self.figures_published,
            "level_changes": self.level_changes,
            "announcements": self.announcements,
        }

    def _load(self) -> dict[str, _Tenant]:
        crowd = self._config.crowd
        widths = crowd.zone_widths_m
        schedule = _schedule(crowd.schedule) if crowd.forecast else None
        by_site = _site_schedules(self._config.scenario) if crowd.forecast and schedule is None else {}
        tenants: dict[str, _Tenant] = {}
        for tenant in self._store.list_tenants():
            zones = {zone.id: zone for zone in self._store.list_zones(tenant.id) if zone.area_m2 > 0}
            if not zones:
                continue
            configs = [level_config_for(zone, width_m=widths.get(zone.id, zone.width_m)) for zone in zones.values()]
            judged = [config for config in configs if config is not None]
            watches = {}
            if crowd.forecast:
                watches = {
                    config.zone_id: ZoneWatch(
                        config.zone_id,
                        zones[config.zone_id].area_m2,
                        config.thresholds,
                        schedule=schedule or by_site.get(zones[config.zone_id].site_id),
                    )
                    for config in judged
                }
            tenants[tenant.id] = _Tenant(
                zones,
                ReadingTranslator(zones.values()),
                FigureKeepingFusion(zones.values()),
                ServiceLevels(judged),
                watches,
            )
        return tenants

    # ----- readings in -----

    async def _on_readings(self, message: BusMessage) -> None:
        batch = messages.decode(message.data, ReadingBatch)
        tenant = self._tenants.get(batch.tenant_id)
        if tenant is None:
            return
        for reading in batch.readings:
            if reading.device_id in self._estimate_ids:
                continue  # our own figures
            self._data_now = max(self._data_now, reading.ts)
            for observation in tenant.translator.translate(reading):
                if tenant.fusion.add(observation):
                    self.readings_used += 1

    async def _on_mobile_estimate(self, message: BusMessage) -> None:
        """A mobile-network slot (`beffroi.crowd.mobile.<tenant>`): each zone's people present over the slot becomes
        a mobile observation of the tenant's fusion (a withheld figure, an upper bound of k subscribers); a zone the
        cell plan cannot resolve is left out (its figure is mostly the prior's split of cells it shares)."""
        tenant_of = {messages.mobile_estimates_subject(tenant_id): tenant_id for tenant_id in self._tenants}
        tenant_id = tenant_of.get(message.subject)
        if tenant_id is None:
            return
        try:
            estimate = msgspec.msgpack.decode(message.data, type=MobileSlotEstimate)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            log.warning("crowd: a mobile-network slot on %s could not be read (%s)", message.subject, error)
            return
        tenant = self._tenants[tenant_id]
        for zone in estimate.zones:
            if zone.zone_id not in tenant.zones or not zone.resolvable:
                continue
            observation = mobile_observation(
                zone.zone_id,
                estimate.operator,
                estimate.slot_start,
                estimate.slot_end,
                zone.present.people,
                fewer_than_k=zone.present.fewer_than_k,
                k=estimate.k,
                market_share=estimate.market_share,
            )
            if observation is not None and tenant.fusion.add(observation):
                self.mobile_figures_used += 1

    # ----- figures out -----

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.crowd.tick_s)
            try:
                await self.tick()
            except BeffroiError:
                log.warning("crowd: the figures could not be published; next tick")
            except Exception:
                log.exception("crowd tick failed; next tick")

    async def tick(self) -> int:
        """Judge and publish every zone's figure now; how many bus messages went out."""
        now = self.now()
        outgoing: list[tuple[str, bytes, str | None]] = []
        for tenant_id, tenant in self._tenants.items():
            figures = tenant.fusion.estimates(now)
            for change in tenant.levels.update_all(figures):
                zone = tenant.zones[change.zone_id]
                event = change.to_event(tenant_id, zone.site_id)
                outgoing.append(
                    (messages.events_subject(tenant_id, zone.site_id), messages.encode(event), event.event_id)
                )
                self.level_changes += 1
            by_site: dict[str, list[Reading]] = {}
            for figure in figures:
                announced, forecast_readings = self._forecast(tenant_id, tenant, figure, now)
                outgoing += announced
                if forecast_readings:
                    by_site.setdefault(tenant.zones[figure.zone_id].site_id, []).extend(forecast_readings)
            for figure in figures:
                zone = tenant.zones[figure.zone_id]
                level = tenant.levels.level(figure.zone_id) or CrowdLevel.NORMAL
                if not self._worth_publishing(tenant_id, figure, level, now):
                    continue
                readings = by_site.setdefault(zone.site_id, [])
                readings += _figure_readings(tenant_id, zone, figure, level, now)
                readings += self._source_readings(tenant_id, tenant, zone, figure)
                self.figures_published += 1
            for site_id, readings in by_site.items():
                batch = ReadingBatch(f"crowd-{uuid.uuid4().hex[:16]}", tenant_id, readings)
                outgoing.append((messages.readings_subject(tenant_id, site_id), messages.encode(batch), batch.batch_id))
        if outgoing:
            await self._bus.publish_many(outgoing)
        return len(outgoing)


def _schedule(path: Path | None) -> Schedule | None:
    """The event schedule file, parsed (None without one); ConfigError naming the file when it is bad."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
        return Schedule(parse_schedule(text, name=path.name))
    except OSError as error:
        raise ConfigError("crowd.schedule", [f"{path}: {error.strerror or error}"]) from None
    except RejectedInput as error:
        raise ConfigError("crowd.schedule", [f"{path}: {error.detail}"]) from None


def _site_schedules(scenario_path: Path) -> dict[str, Schedule]:
    """Each site's sessions from the scenario (its event schedule), when it loads; {} when it does not."""
    try:
        scenario = load_scenario(scenario_path)
    except (BeffroiError, OSError):
        log.warning("crowd: no event schedule from the scenario %s; forecasts go without one", scenario_path)
        return {}
    schedules: dict[str, Schedule] = {}
    for site in scenario.sites:
        sessions = [
            Session(start=s.start.timestamp(), end=s.end.timestamp(), label=s.name, attendance=float(s.attendance))
            for s in site.schedule
        ]
        if sessions:
            schedules[site.id] = Schedule(sessions)
    return schedules


def _changed(before: _Published, people: float, level: CrowdLevel) -> bool:
    """True when the figure moved enough to tell: another level, or a count off by 1 % (at least one person)."""
    return level is not before.level or abs(people - before.people) >= max(1.0, 0.01 * before.people)


def _centroid(zone: Zone) -> Position:
    outer = zone.polygon[0] if zone.polygon else []
    if len(outer) < 3:
        return Position(0.0, 0.0)
    point = Polygon(outer).representative_point()
    return Position(point.x, point.y)


def _estimate_device(zone: Zone) -> Device:
    return Device(
        id=estimate_device_id(zone.id),
        tenant_id=zone.tenant_id,
        site_id=zone.site_id,
        kind=DeviceKind.CROWD_ESTIMATE,
        position=_centroid(zone),
        interval_s=0.0,  # no reporting interval: a zone no source reports on is no offline device
        metrics=ESTIMATE_METRICS,
        zone_id=zone.id,
        model="beffroi crowd fusion",
    )


def _figure_readings(
    tenant_id: str, zone: Zone, figure: FusedZoneDensity, level: CrowdLevel, now: float
) -> list[Reading]:
    device = estimate_device_id(zone.id)
    values = {
        "people": round(figure.people, 1),
        "people_sd": round(figure.people_sd, 1),
        "density": round(figure.density, 4),
        "density_sd": round(figure.density_sd, 4),
        "level": LEVEL_VALUE[level],
    }
    for kind, weight in kind_weights(figure).items():
        if kind in SOURCE_KINDS:
            values[source_weight_metric(kind)] = round(weight, 3)
    return [Reading(tenant_id, device, metric, value, now, zone.site_id, zone.id) for metric, value in values.items()]


def _forecast_readings(tenant_id: str, zone: Zone, forecast: Forecast, now: float) -> list[Reading]:
    """The forecast's people 15 and 30 minutes ahead (median, interval low and high) as the estimate's readings."""
    device = estimate_device_id(zone.id)
    out: list[Reading] = []
    for minutes in FORECAST_MINUTES:
        ahead = forecast.at(minutes)
        parts: tuple[tuple[ForecastPart, float], ...] = (("", ahead.count), ("lo", ahead.low), ("hi", ahead.high))
        for part, value in parts:
            metric = forecast_metric(minutes, part)
            out.append(Reading(tenant_id, device, metric, round(value, 1), now, zone.site_id, zone.id))
    return out
