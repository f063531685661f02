"""GET /api/zones/{zone_id}/crowd: a zone's crowd picture over the last hours, for the console's zone card.

Read back from what the crowd worker published as the zone's `crowd_estimate` device (metrics in
`beffroi.crowd.estimate_metrics`): the fused people with their standard deviation, density and level, the 15- and
30-minute forecasts with their interval, what each kind of source alone said, and the sources of the latest figure
with their weights. The span ends at the estimate's newest reading (the zone's own clock: a replay or an accelerated
simulation shows its own hours). Up to an hour every reading is given; beyond, means per bucket (roll-ups).
Viewers and up; tenant-scoped.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.schemas import ErrorOut
from beffroi.api.schemas_crowd import (
    CrowdPointOut,
    CrowdSourceOut,
    CrowdThresholdsOut,
    CrowdZoneOut,
    ForecastPointOut,
    SourcePointOut,
    SourceSeriesOut,
    ZoneCrowdOut,
)
from beffroi.crowd.estimate_metrics import (
    COUNT_SOURCE_KINDS,
    FORECAST_MINUTES,
    FUSED_METRICS,
    SOURCE_KINDS,
    forecast_metric,
    source_people_metric,
    source_weight_metric,
)
from beffroi.crowd.fusion import SourceKind
from beffroi.crowd.levels.thresholds import level_config_for
from beffroi.domain.registry import Device, DeviceKind, Zone
from beffroi.errors import NotFound
from beffroi.store.store import Store

router = APIRouter(prefix="/api/zones", tags=["crowd"], responses={404: {"model": ErrorOut}})

MAX_HOURS = 168.0
RAW_UP_TO_HOURS = 1.0
"""Up to this span every reading is given; beyond, bucket means."""
MAX_ROWS = 100_000
SAME_TICK_S = 0.001
"""Readings published together share their time; this much either side finds them."""
SOURCE_DEVICE_KINDS: dict[SourceKind, tuple[DeviceKind, ...]] = {
    SourceKind.COUNTER: (DeviceKind.PEOPLE_COUNTER,),
    SourceKind.OCCUPANCY: (DeviceKind.PEOPLE_COUNTER,),
    SourceKind.VIDEO: (DeviceKind.CAMERA,),
    SourceKind.MOBILE: (),
}
"""Which of the zone's devices feed each kind of source (mobile figures come from the network)."""
LEVEL = "level"

Hours = Annotated[
    float,
    Query(gt=0, le=MAX_HOURS, allow_inf_nan=False, description="The span, in hours before the newest figure"),
]
Values = dict[str, float]


@router.get(
    "/{zone_id}/crowd",
    response_model=ZoneCrowdOut,
    summary="A zone's crowd figure, forecasts and sources over the last hours",
    responses={422: {"model": ErrorOut, "description": "`hours` is not a number of hours in (0, 168]"}},
)
def zone_crowd(zone_id: str, principal: Viewer, context: Context, hours: Hours = 3.0) -> ZoneCrowdOut:
    """The zone's crowd picture (404 when the tenant has no such zone; empty lists before any figure)."""
    store = context.store
    tenant_id = principal.tenant_id
    zone = next((z for z in store.list_zones(tenant_id) if z.id == zone_id), None)
    if zone is None:
        raise NotFound(f"zone {zone_id!r} not found")
    in_zone = [device for device in store.list_devices(tenant_id, zone.site_id) if device.zone_id == zone.id]
    picture = ZoneCrowdOut(
        zone=CrowdZoneOut(
            id=zone.id,
            site_id=zone.site_id,
            name=zone.name,
            kind=zone.kind,
            area_m2=zone.area_m2,
            capacity=zone.capacity,
        ),
        thresholds=_thresholds(zone),
        hours=hours,
        since=None,
        until=None,
        bucket_s=None,
        history=[],
        forecasts=[],
        source_history=[],
        latest=None,
        forecast=[],
        sources=[],
    )
    estimate = next((device for device in in_zone if device.kind is DeviceKind.CROWD_ESTIMATE), None)
    if estimate is None:
        return picture
    newest = store.query_readings(tenant_id, device_id=estimate.id, limit=1)
    if not newest:
        return picture
    until = newest[0].ts
    since = until - hours * 3600.0
    picture.since, picture.until = since, until
    if hours <= RAW_UP_TO_HOURS:
        rows = _raw_rows(store, tenant_id, estimate.id, since, until)
    else:
        picture.bucket_s = _bucket_s(hours)
        rows = _bucket_rows(store, tenant_id, estimate.id, since, until, picture.bucket_s)
    picture.history = [_point(ts, values) for ts, values in rows if any(m in values for m in FUSED_METRICS)]
    picture.forecasts = [point for ts, values in rows for point in _forecasts(ts, values)]
    picture.source_history = _source_history(rows)
    latest = _latest_row(store, tenant_id, estimate.id, "people", since)
    if latest is not None:
        picture.latest = _point(*latest)
        picture.sources = _sources(store, tenant_id, estimate.id, latest[1], in_zone, since)
    made = _latest_row(store, tenant_id, estimate.id, forecast_metric(FORECAST_MINUTES[0]), since)
    if made is not None:
        picture.forecast = _forecasts(*made)
    return picture


def _thresholds(zone: Zone) -> CrowdThresholdsOut | None:
    config = level_config_for(zone)
    if config is None:
        return None
    return CrowdThresholdsOut(posture=config.posture.value, amber=config.thresholds.amber, red=config.thresholds.red)


def _bucket_s(hours: float) -> int:
    """About 60 to 360 points whatever the span: minutes up to 6 h, 5 minutes up to 30 h, then hours."""
    if hours <= 6.0:
        return 60
    if hours <= 30.0:
        return 300
    return 3600


def _raw_rows(store: Store, tenant_id: str, device_id: str, since: float, until: float) -> list[tuple[float, Values]]:
    """Every reading of the device in the span, grouped by time, oldest first."""
    by_ts: dict[float, Values] = defaultdict(dict)
    for reading in store.query_readings(tenant_id, device_id=device_id, since=since, until=until, limit=MAX_ROWS):
        by_ts[reading.ts].setdefault(reading.metric, reading.value)
    return sorted(by_ts.items())


def _bucket_rows(
    store: Store, tenant_id: str, device_id: str, since: float, until: float, bucket_s: int
) -> list[tuple[float, Values]]:
    """Each metric's mean per bucket (the level: its worst), at the bucket's middle, grouped by time, oldest first."""
    metrics = [
        *FUSED_METRICS,
        *(forecast_metric(minutes, part) for minutes in FORECAST_MINUTES for part in ("", "lo", "hi")),
        *(source_people_metric(kind) for kind in COUNT_SOURCE_KINDS),
    ]
    limit = int((until - since) // bucket_s) + 2
    by_ts: dict[float, Values] = defaultdict(dict)
    for metric in metrics:
        for bucket in store.rollup_readings(
            tenant_id, device_id, metric, bucket_s=bucket_s, since=since, until=until, limit=limit
        ):
            middle = min(bucket.start + bucket_s / 2.0, until)
            by_ts[middle][metric] = bucket.max if metric == LEVEL else bucket.avg
    return sorted(by_ts.items())


def _latest_row(store: Store, tenant_id: str, device_id: str, metric: str, since: float) -> tuple[float, Values] | None:
    """The readings published with the device's newest reading of `metric` (None without one in the span)."""
    newest = store.query_readings(tenant_id, device_id=device_id, metric=metric, since=since, limit=1)
    if not newest:
        return None
    ts = newest[0].ts
    values: Values = {}
    for reading in store.query_readings(
        tenant_id, device_id=device_id, since=ts - SAME_TICK_S, until=ts + SAME_TICK_S, limit=MAX_ROWS
    ):
        values.setdefault(reading.metric, reading.value)
    return ts, values


def _point(ts: float, values: Values) -> CrowdPointOut:
    return CrowdPointOut(
        ts=ts,
        people=values.get("people"),
        people_sd=values.get("people_sd"),
        density=values.get("density"),
        level=values.get(LEVEL),
    )


def _forecasts(ts: float, values: Values) -> list[ForecastPointOut]:
    out: list[ForecastPointOut] = []
    for minutes in FORECAST_MINUTES:
        median = values.get(forecast_metric(minutes))
        low = values.get(forecast_metric(minutes, "lo"))
        high = values.get(forecast_metric(minutes, "hi"))
        if median is None or low is None or high is None:
            continue
        out.append(ForecastPointOut(ts=ts, minutes=minutes, at=ts + 60.0 * minutes, people=median, low=low, high=high))
    return out


def _source_history(rows: list[tuple[float, Values]]) -> list[SourceSeriesOut]:
    series: list[SourceSeriesOut] = []
    for kind in COUNT_SOURCE_KINDS:
        metric = source_people_metric(kind)
        points = [SourcePointOut(ts=ts, people=values[metric]) for ts, values in rows if metric in values]
        if points:
            series.append(SourceSeriesOut(kind=kind.value, points=points))
    return series


def _sources(
    store: Store, tenant_id: str, device_id: str, latest: Values, in_zone: list[Device], since: float
) -> list[CrowdSourceOut]:
    """The kinds of source that weighed in the latest figure, largest share first."""
    out: list[CrowdSourceOut] = []
    for kind in SOURCE_KINDS:
        weight = latest.get(source_weight_metric(kind))
        if weight is None:
            continue
        said = (
            store.query_readings(
                tenant_id, device_id=device_id, metric=source_people_metric(kind), since=since, limit=1
            )
            if kind in COUNT_SOURCE_KINDS
            else []
        )
        feeding = SOURCE_DEVICE_KINDS[kind]
        out.append(
            CrowdSourceOut(
                kind=kind.value,
                weight=weight,
                people=said[0].value if said else None,
                ts=said[0].ts if said else None,
                devices=[device.id for device in in_zone if device.kind in feeding],
            )
        )
    return sorted(out, key=lambda source: -source.weight)
