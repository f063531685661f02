"""GET /api/zones/{zone_id}/mobile: a zone's mobile-network figures per slot over the last hours, in the shape the
console reads; withheld counts as `fewer_than_k`; 404 for an unknown (or another tenant's) zone; 422 for bad hours;
viewers and up."""

from __future__ import annotations

import httpx
import msgspec

from beffroi.api.auth.roles import Role
from beffroi.api.routers.zone_mobile import use_mobile_privacy
from beffroi.crowd.mobile.results import OUTSIDE, Count, Flow, MobileSlotEstimate, OriginCount, ZoneEstimate
from beffroi.store.store import Store
from tests.api.world import B_ZONE, TENANT_A, TENANT_B, ZONE, headers

T0 = 1_722_002_400.0
HIDDEN = Count(None, True)
VIEWER_A = headers(TENANT_A, Role.VIEWER)


def slot(start: float, present: Count, epsilon: float | None = None) -> MobileSlotEstimate:
    return MobileSlotEstimate(
        operator="Orange",
        slot_start=start,
        slot_end=start + 300,
        market_share=0.4,
        zones=[ZoneEstimate(ZONE, present, Count(80.0), HIDDEN, HIDDEN, [OriginCount("departement", "69", 80.0)])],
        flows=[Flow(OUTSIDE, ZONE, 50.0)],
        k=15,
        computed_at=start + 330,
        epsilon=epsilon,
    )


async def test_the_slots_of_the_last_hours_oldest_first_in_the_console_shape(
    client: httpx.AsyncClient, world: Store
) -> None:
    for index in range(40):  # 40 slots of 5 minutes: 3 h 20 min, the newest with noise
        present = Count(100.0 + index) if index % 10 else HIDDEN
        world.save_mobile_estimate(TENANT_A, slot(T0 + 300 * index, present, 2.0 if index == 39 else None))
    response = await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)
    assert response.status_code == 200
    body = response.json()
    assert (body["zone_id"], body["k"], body["epsilon"]) == (ZONE, 15, 2.0)
    slots = body["slots"]
    assert len(slots) == 36  # the 3 hours up to the newest slot's end
    assert [s["slot_start"] for s in slots] == [T0 + 300 * index for index in range(4, 40)]
    first = slots[0]
    assert first == {
        "slot_start": T0 + 1200,
        "slot_end": T0 + 1500,
        "operator": "Orange",
        "market_share": 0.4,
        "present": {"people": 104.0, "fewer_than_k": False},
        "residents": {"people": 80.0, "fewer_than_k": False},
        "visitors": {"people": None, "fewer_than_k": True},
        "day_visitors": {"people": None, "fewer_than_k": True},
        "origins": [{"kind": "departement", "code": "69", "people": 80.0}],
        "flows_in": [{"zone_id": OUTSIDE, "people": 50.0}],
        "flows_out": [],
        "resolvable": True,
        "resolution": 1.0,
    }
    assert slots[6]["present"] == {"people": None, "fewer_than_k": True}  # slot 10
    one_hour = (await client.get(f"/api/zones/{ZONE}/mobile?hours=1", headers=VIEWER_A)).json()
    assert len(one_hour["slots"]) == 12


async def test_without_slots_k_and_epsilon_are_the_configured_ones(
    client: httpx.AsyncClient, api: object, world: Store
) -> None:
    body = (await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)).json()
    assert body == {"zone_id": ZONE, "k": 20, "epsilon": None, "slots": []}
    use_mobile_privacy(api, 25, 1.5)  # type: ignore[arg-type]
    body = (await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)).json()
    assert (body["k"], body["epsilon"]) == (25, 1.5)


async def test_unknown_zone_other_tenant_bad_hours_and_no_token(client: httpx.AsyncClient, world: Store) -> None:
    world.save_mobile_estimate(TENANT_B, slot(T0, Count(500.0)))
    missing = await client.get("/api/zones/nowhere/mobile", headers=VIEWER_A)
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"
    other = await client.get(f"/api/zones/{B_ZONE}/mobile", headers=VIEWER_A)
    assert other.status_code == 404
    for hours in ("0", "-1", "200", "soon", "nan"):
        bad = await client.get(f"/api/zones/{ZONE}/mobile?hours={hours}", headers=VIEWER_A)
        assert bad.status_code == 422, hours
        assert bad.json()["errors"][0]["field"] == "query.hours"
    assert (await client.get(f"/api/zones/{ZONE}/mobile")).status_code == 401
    # tenant B's slot is not tenant A's: A's zone shows no slot
    assert (await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)).json()["slots"] == []
    b_body = (await client.get(f"/api/zones/{B_ZONE}/mobile", headers=headers(TENANT_B, Role.VIEWER))).json()
    assert len(b_body["slots"]) == 1 and b_body["slots"][0]["present"] == {"people": None, "fewer_than_k": True}


async def test_a_zone_the_cells_cannot_resolve_is_shown_as_such(client: httpx.AsyncClient, world: Store) -> None:
    estimate = slot(T0, Count(300.0))
    zone = msgspec.structs.replace(estimate.zones[0], resolvable=False, resolution=0.18)
    world.save_mobile_estimate(TENANT_A, msgspec.structs.replace(estimate, zones=[zone]))
    (shown,) = (await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)).json()["slots"]
    assert (shown["resolvable"], shown["resolution"], shown["present"]["people"]) == (False, 0.18, 300.0)


async def test_a_withheld_zone_s_resolvability_is_not_claimed(client: httpx.AsyncClient, world: Store) -> None:
    # every figure under k: nothing is stored for the zone, and it is not said to be resolvable (the demo's
    # stadium perimeter, resolution 0.14, read back as resolvable with resolution 1)
    estimate = slot(T0, HIDDEN)
    zone = msgspec.structs.replace(estimate.zones[0], residents=HIDDEN, origins=[], resolvable=False, resolution=0.14)
    world.save_mobile_estimate(TENANT_A, msgspec.structs.replace(estimate, zones=[zone], flows=[]))
    (shown,) = (await client.get(f"/api/zones/{ZONE}/mobile", headers=VIEWER_A)).json()["slots"]
    assert shown["present"] == {"people": None, "fewer_than_k": True}
    assert (shown["resolvable"], shown["resolution"]) == (None, None)
