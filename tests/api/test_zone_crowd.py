"""GET /api/zones/{zone_id}/crowd: a zone's crowd picture read back from what the crowd worker published as the
zone's estimate device — its fused people over the span (every reading up to an hour, bucket means beyond), the
forecasts with their interval drawn ahead of when they were made, each kind of source's own figure, and the sources
of the latest figure with the zone's devices; tenant-scoped, 404 for an unknown zone, 422 naming a bad `hours`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from beffroi.crowd.estimate_metrics import forecast_metric, source_people_metric, source_weight_metric
from beffroi.crowd.fusion import SourceKind
from beffroi.domain.observations import Position, Reading
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind
from beffroi.store.store import Store
from tests.api.world import SITE, T0, TENANT_A, TENANT_B, ZONE, headers

ESTIMATE = f"{ZONE}-crowd"
AREA = 8402.0
END = T0 + 2 * 3600.0  # two hours of figures, one a minute


def estimate_device(tenant: str) -> Device:
    metrics = list(DEVICE_PROFILES[DeviceKind.CROWD_ESTIMATE].metrics)
    return Device(ESTIMATE, tenant, SITE, DeviceKind.CROWD_ESTIMATE, Position(4.83, 45.75), 0.0, metrics, ZONE)


def minute_readings(tenant: str, ts: float, people: float, level: float) -> list[Reading]:
    """One tick of the crowd worker: the fused figure, the weights of video and occupancy, the forecast."""
    values = {
        "people": people,
        "people_sd": 0.05 * people,
        "density": people / AREA,
        "density_sd": 0.05 * people / AREA,
        "level": level,
        source_weight_metric(SourceKind.VIDEO): 0.3,
        source_weight_metric(SourceKind.OCCUPANCY): 0.65,
        source_weight_metric(SourceKind.COUNTER): 0.05,
        forecast_metric(15): people + 150,
        forecast_metric(15, "lo"): people + 50,
        forecast_metric(15, "hi"): people + 300,
        forecast_metric(30): people + 300,
        forecast_metric(30, "lo"): people + 100,
        forecast_metric(30, "hi"): people + 600,
    }
    readings = [Reading(tenant, ESTIMATE, metric, value, ts, SITE, ZONE) for metric, value in values.items()]
    # each kind of source at its own time: the camera a few seconds before the tick
    readings.append(Reading(tenant, ESTIMATE, source_people_metric(SourceKind.VIDEO), people * 1.1, ts - 5, SITE, ZONE))
    readings.append(Reading(tenant, ESTIMATE, source_people_metric(SourceKind.OCCUPANCY), people, ts - 2, SITE, ZONE))
    return readings


@pytest.fixture
def figures(world: Store) -> Store:
    """Two hours of a filling plaza in city-a (amber for minute 100 only); one figure in city-b."""
    world.upsert_devices([estimate_device(TENANT_A), estimate_device(TENANT_B)])
    readings: list[Reading] = []
    for minute in range(121):
        readings += minute_readings(TENANT_A, T0 + 60 * minute, 1000.0 + 10 * minute, 1.0 if minute == 100 else 0.0)
    world.insert_readings(readings)
    world.insert_readings(minute_readings(TENANT_B, T0, 77.0, 0.0))
    return world


async def crowd(client: httpx.AsyncClient, query: str = "", tenant: str = TENANT_A, zone: str = ZONE) -> Any:
    return await client.get(f"/api/zones/{zone}/crowd{query}", headers=headers(tenant, "viewer"))


async def test_the_last_hour_gives_every_figure_the_forecasts_ahead_and_the_sources(
    client: httpx.AsyncClient, figures: Store
) -> None:
    response = await crowd(client, "?hours=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["zone"] == {
        "id": ZONE,
        "site_id": SITE,
        "name": body["zone"]["name"],
        "kind": "fan_zone",
        "area_m2": AREA,
        "capacity": body["zone"]["capacity"],
    }
    assert body["thresholds"] == {"posture": "standing", "amber": 3.5, "red": 4.7}
    assert (body["until"], body["since"], body["bucket_s"]) == (END, END - 3600, None)
    history = body["history"]
    assert [point["ts"] for point in history] == [T0 + 60 * minute for minute in range(60, 121)]
    assert history[-1] == {"ts": END, "people": 2200.0, "people_sd": 110.0, "density": 2200 / AREA, "level": 0.0}
    assert body["latest"] == history[-1]
    assert [point["level"] for point in history].count(1.0) == 1
    # the latest forecast: 15 and 30 minutes after the newest figure, with its interval
    assert body["forecast"] == [
        {"ts": END, "minutes": 15, "at": END + 900, "people": 2350.0, "low": 2250.0, "high": 2500.0},
        {"ts": END, "minutes": 30, "at": END + 1800, "people": 2500.0, "low": 2300.0, "high": 2800.0},
    ]
    assert len(body["forecasts"]) == 2 * 61
    # each kind of source at its own time, and the sources of the latest figure, largest share first
    series = {s["kind"]: s["points"] for s in body["source_history"]}
    assert set(series) == {"occupancy", "video"}
    assert series["video"][-1] == {"ts": END - 5, "people": pytest.approx(2420.0)}
    assert body["sources"] == [
        {
            "kind": "occupancy",
            "weight": 0.65,
            "people": 2200.0,
            "ts": END - 2,
            "devices": ["square-plaza-pc-01"],
        },
        {
            "kind": "video",
            "weight": 0.3,
            "people": pytest.approx(2420.0),
            "ts": END - 5,
            "devices": ["square-plaza-cam-01"],
        },
        # gate counters weigh in the figure but have no count of their own
        {"kind": "counter", "weight": 0.05, "people": None, "ts": None, "devices": ["square-plaza-pc-01"]},
    ]


async def test_a_longer_span_gives_minute_means_with_the_worst_level(client: httpx.AsyncClient, figures: Store) -> None:
    body = (await crowd(client, "?hours=3")).json()
    assert body["bucket_s"] == 60
    history = body["history"]
    assert len(history) == 121  # the figures began two hours ago
    assert all(point["ts"] == T0 + 60 * i + 30 or point["ts"] == END for i, point in enumerate(history))
    assert [point["level"] for point in history].count(1.0) == 1
    assert history[0]["people"] == 1000.0
    assert body["latest"]["people"] == 2200.0 and len(body["forecast"]) == 2


async def test_each_tenant_sees_its_own_figures(client: httpx.AsyncClient, figures: Store) -> None:
    body = (await crowd(client, tenant=TENANT_B)).json()
    assert [point["people"] for point in body["history"]] == [77.0]
    assert body["until"] == T0


async def test_a_zone_without_figures_answers_empty_lists(client: httpx.AsyncClient, world: Store) -> None:
    body = (await crowd(client, zone="square-gate")).json()
    assert body["thresholds"] == {"posture": "moving", "amber": 2.0, "red": 4.0}
    assert (body["history"], body["forecast"], body["sources"], body["latest"], body["until"]) == (
        [],
        [],
        [],
        None,
        None,
    )


async def test_an_unknown_zone_or_another_tenants_zone_is_not_found(client: httpx.AsyncClient, world: Store) -> None:
    for zone in ("nowhere", "annex-hall"):  # annex-hall exists in city-b only
        response = await crowd(client, zone=zone)
        assert response.status_code == 404, response.text
        assert zone in response.json()["detail"]


@pytest.mark.parametrize("hours", ["0", "-1", "169", "nan", "three"])
async def test_a_bad_span_is_refused_naming_hours(client: httpx.AsyncClient, world: Store, hours: str) -> None:
    response = await crowd(client, f"?hours={hours}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["reason"] == "invalid_request"
    assert [problem["field"] for problem in body["errors"]] == ["query.hours"]
