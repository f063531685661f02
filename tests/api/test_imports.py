"""Bulk imports (administrators): devices from CSV, zones from GeoJSON. Everything is checked first; one bad row
and nothing is written, and the 422 names every bad row and field. Each import is audited."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from beffroi.api import schemas
from beffroi.api.auth.roles import Role
from beffroi.domain.registry import DeviceKind
from beffroi.store.store import Store
from tests.api.routes import GEOJSON
from tests.api.world import SITE, TENANT_A, ZONE, headers

ADMIN = headers(TENANT_A, Role.ADMIN)
CSV_HEADERS = {**ADMIN, "Content-Type": "text/csv"}


async def import_csv(client: httpx.AsyncClient, text: str | bytes) -> httpx.Response:
    return await client.post("/api/devices/import", content=text, headers=CSV_HEADERS)


async def test_devices_are_imported_with_their_kinds_defaults(client: httpx.AsyncClient, world: Store) -> None:
    text = (
        "id,site_id,zone_id,kind,lon,lat,interval_s,model,metrics\n"
        f"new-pc,{SITE},{ZONE},people_counter,4.832,45.7578,,Xovis,\n"
        f'new-aq,{SITE},,air_quality,4.8321,45.7579,120,"Aeroqual, AQS1",pm2_5_ug_m3;co2_ppm\n'
    )
    response = await import_csv(client, "\ufeff" + text)
    assert response.json() == {"imported": 2}
    counter = world.get_device(TENANT_A, "new-pc")
    assert (counter.kind, counter.zone_id, counter.interval_s) == (DeviceKind.PEOPLE_COUNTER, ZONE, 10.0)
    assert counter.metrics == ["count_in", "count_out", "occupancy", "occupancy_ratio"]
    air = world.get_device(TENANT_A, "new-aq")
    assert (air.zone_id, air.interval_s, air.model, air.metrics) == (
        None,
        120.0,
        "Aeroqual, AQS1",
        ["pm2_5_ug_m3", "co2_ppm"],
    )
    audit = world.query_audit(TENANT_A, target_id=TENANT_A)
    assert [(entry.action, entry.actor, entry.details["count"]) for entry in audit[:1]] == [
        ("registry.devices_imported", "admin", 2)
    ]


async def test_every_bad_row_is_named_and_nothing_is_written(client: httpx.AsyncClient, world: Store) -> None:
    text = (
        "id,site_id,zone_id,kind,lon,lat,interval_s\n"
        f"good-1,{SITE},,camera,4.83,45.75,\n"
        f"Bad Id,{SITE},,camera,4.83,45.75,\n"
        f"bad-kind,{SITE},,toaster,4.83,45.75,\n"
        f"bad-lon,{SITE},,camera,200,nan,\n"
        f"bad-zone,{SITE},annex-hall,camera,4.83,45.75,\n"
        f"bad-interval,{SITE},,camera,4.83,45.75,-5\n"
        f"good-1,{SITE},,camera,4.83,45.75,\n"
        "short-row,square\n"
    )
    before = world.list_devices(TENANT_A)
    response = await import_csv(client, text)
    assert response.status_code == 422
    body = response.json()
    assert (body["reason"], body["detail"]) == ("invalid_import", "8 problems, nothing was imported")
    where = [(error["row"], error["field"]) for error in body["errors"]]
    assert where == [
        (3, "id"),
        (4, "kind"),
        (5, "lon"),
        (5, "lat"),
        (6, "zone_id"),
        (7, "interval_s"),
        (8, "id"),
        (9, "(row)"),
    ]
    assert world.list_devices(TENANT_A) == before


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id,site_id,kind,lon\nx,square,camera,1\n", "lat"),
        ("id,site_id,kind,lon,lat,colour\nx,square,camera,1,2,red\n", "colour"),
        ("id,site_id,kind,lon,lat,lat\n", "lat"),
        ("id,site_id,kind,lon,lat\n", "(file)"),
        ("", "id"),
        (b"id,site_id,kind,lon,lat\n\xff\xfe,square,camera,1,2\n", "(file)"),
        ('id,site_id,kind,lon,lat\n"unterminated,square,camera,1,2\n', "(row)"),
    ],
    ids=["missing column", "unknown column", "twice", "no rows", "empty", "not utf-8", "bad quoting"],
)
async def test_a_malformed_file_is_422(client: httpx.AsyncClient, text: str | bytes, field: str) -> None:
    response = await import_csv(client, text)
    assert response.status_code == 422, response.text
    assert response.json()["reason"] == "invalid_import"
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_zones_are_imported_from_geojson(client: httpx.AsyncClient, world: Store) -> None:
    response = await client.post("/api/zones/import", json=GEOJSON, headers=ADMIN)
    assert response.json() == {"imported": 1}
    zone = next(zone for zone in world.list_zones(TENANT_A) if zone.id == "square-stage")
    assert (zone.site_id, zone.capacity, zone.kind.value) == (SITE, 50, "stand")
    assert 100 < zone.area_m2 < 200  # measured from the polygon: ~15.6 m x ~11.1 m
    assert world.query_audit(TENANT_A, target_id=TENANT_A)[0].action == "registry.zones_imported"


def feature(**properties: Any) -> dict[str, Any]:
    base: dict[str, Any] = copy.deepcopy(GEOJSON["features"][0])
    base["properties"].update(properties)
    return base


async def test_a_zone_width_is_imported_and_shown(client: httpx.AsyncClient, world: Store) -> None:
    collection = {"type": "FeatureCollection", "features": [feature(id="square-stage", kind="gate", width_m=12.5)]}
    response = await client.post("/api/zones/import", json=collection, headers=ADMIN)
    assert response.json() == {"imported": 1}
    response = await client.get("/api/zones/square-stage", headers=ADMIN)
    shown = TypeAdapter(schemas.ZoneOut).validate_python(response.json())
    assert (shown.kind.value, shown.width_m) == ("gate", 12.5)
    listed = (await client.get(f"/api/zones?site_id={SITE}", headers=ADMIN)).json()
    assert {zone["id"]: zone["width_m"] for zone in listed} == {
        "square-gate": None,
        "square-plaza": None,
        "square-stage": 12.5,
    }


async def test_bad_zone_widths_are_named_and_nothing_is_written(client: httpx.AsyncClient, world: Store) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(id="fine", width_m=8),
            feature(id="zero", width_m=0),
            feature(id="text", width_m="wide"),
            feature(id="wider-than-the-zone", width_m=60),  # the polygon is ~15.6 m x ~11.1 m
        ],
    }
    before = world.list_zones(TENANT_A)
    response = await client.post("/api/zones/import", json=collection, headers=ADMIN)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(error["row"], error["field"]) for error in errors] == [
        (2, "properties.width_m"),
        (3, "properties.width_m"),
        (4, "properties.width_m"),
    ]
    assert "more than the polygon could hold" in str(errors[2])
    assert world.list_zones(TENANT_A) == before


async def test_bad_features_are_named_and_nothing_is_written(client: httpx.AsyncClient, world: Store) -> None:
    open_ring = feature(id="open-ring")
    open_ring["geometry"]["coordinates"][0].pop()
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(id="fine"),
            feature(id="wrong-site", site_id="annex"),
            feature(id="wrong-area", area_m2=99_999),
            feature(id="bad-kind", kind="moat"),
            open_ring,
            {"type": "Feature", "properties": None, "geometry": None},
            feature(id="fine"),
        ],
    }
    before = world.list_zones(TENANT_A)
    response = await client.post("/api/zones/import", json=collection, headers=ADMIN)
    assert response.status_code == 422
    where = [(error["row"], error["field"]) for error in response.json()["errors"]]
    assert where == [
        (2, "properties.site_id"),
        (3, "properties.area_m2"),
        (4, "properties.kind"),
        (5, "geometry.coordinates"),
        (6, "properties"),
        (6, "geometry"),
        (7, "properties.id"),
    ]
    assert world.list_zones(TENANT_A) == before


@pytest.mark.parametrize(
    "body",
    [{"type": "Feature"}, {"type": "FeatureCollection", "features": []}, {"type": "FeatureCollection"}, [1, 2]],
)
async def test_a_body_that_is_no_feature_collection_is_422(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/api/zones/import", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["reason"] in {"invalid_import", "invalid_request"}
