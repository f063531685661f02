"""Tenants, sites, zones and devices round-trip through bulk upserts."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain.observations import Position
from beffroi.errors import NotFound, StoreError
from beffroi.store.store import Store
from tests.store.samples import device, load_registry, site, tenant, zone


def test_registry_round_trips(store: Store) -> None:
    load_registry(store)
    assert store.list_tenants() == [tenant()]
    assert store.list_sites("paris") == [site()]
    assert store.list_zones("paris") == [zone()]
    assert store.list_devices("paris") == [device(zone_id="gate-a"), device(device_id="pc-2")]
    assert store.get_device("paris", "pc-1") == device(zone_id="gate-a")


def test_zone_polygon_comes_back_as_rings_of_coordinate_pairs(store: Store) -> None:
    load_registry(store)
    (stored,) = store.list_zones("paris")
    assert isinstance(stored.polygon[0][0], tuple)
    assert stored.polygon == zone().polygon


def test_a_zone_width_round_trips_and_can_be_cleared(store: Store) -> None:
    load_registry(store)
    narrow = msgspec.structs.replace(zone(), width_m=7.25)
    store.upsert_zones([narrow, zone(zone_id="gate-b")])
    assert store.list_zones("paris") == [narrow, zone(zone_id="gate-b")]
    assert [z.width_m for z in store.list_zones("paris")] == [7.25, None]
    store.upsert_zones([zone()])  # saved again without a width: it has none
    assert store.list_zones("paris")[0].width_m is None


def test_upsert_updates_rows_with_the_same_key(store: Store) -> None:
    load_registry(store)
    renamed = msgspec.structs.replace(tenant(), name="Ville de Paris")
    moved = msgspec.structs.replace(device(), position=Position(2.0, 48.0), metrics=["occupancy"], zone_id=None)
    store.upsert_tenants([renamed])
    store.upsert_devices([moved])
    assert store.list_tenants() == [renamed]
    assert store.get_device("paris", "pc-1") == moved
    assert len(store.list_devices("paris")) == 2


def test_listings_filter_by_site(store: Store) -> None:
    load_registry(store)
    store.upsert_sites([site(site_id="arena")])
    store.upsert_zones([zone(site_id="arena", zone_id="floor")])
    store.upsert_devices([device(site_id="arena", device_id="cam-9")])
    assert [z.id for z in store.list_zones("paris", site_id="arena")] == ["floor"]
    assert [z.id for z in store.list_zones("paris", site_id="stade")] == ["gate-a"]
    assert [d.id for d in store.list_devices("paris", site_id="arena")] == ["cam-9"]
    assert [d.id for d in store.list_devices("paris", site_id="stade")] == ["pc-1", "pc-2"]
    assert store.list_devices("paris", site_id="nowhere") == []


def test_get_device_of_an_unknown_id_is_not_found(store: Store) -> None:
    load_registry(store)
    with pytest.raises(NotFound, match="nope"):
        store.get_device("paris", "nope")


def test_a_device_on_an_unknown_site_is_refused(store: Store) -> None:
    load_registry(store)
    with pytest.raises(StoreError, match="saving devices"):
        store.upsert_devices([device(site_id="atlantis", device_id="pc-3")])
    assert [d.id for d in store.list_devices("paris")] == ["pc-1", "pc-2"]


def test_a_device_in_an_unknown_zone_is_refused(store: Store) -> None:
    load_registry(store)
    with pytest.raises(StoreError):
        store.upsert_devices([device(device_id="pc-3", zone_id="gate-z")])


def test_empty_batches_write_nothing(store: Store) -> None:
    store.upsert_tenants([])
    store.upsert_sites([])
    store.upsert_zones([])
    store.upsert_devices([])
    assert store.list_tenants() == []
