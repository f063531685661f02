"""The crowd worker takes the mobile worker's slot figures (`beffroi.crowd.mobile.<tenant>`) into its fusion: a
zone's people present over the slot becomes a mobile source of the zone's figure; a withheld figure only bounds it;
another tenant's slots and unreadable messages are left out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from beffroi.bus.base import Bus, BusMessage
from beffroi.config import parse_config
from beffroi.crowd.mobile.results import Count, MobileSlotEstimate, ZoneEstimate
from beffroi.domain import messages
from beffroi.domain.observations import Reading, ReadingBatch
from beffroi.store.store import Store
from beffroi.workers.crowd import CrowdWorker, estimate_device_id
from beffroi.workers.mobile import encode_estimate
from tests.bus.support import wait_until

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"
TENANT, STAND = "tiny", "tiny-stand"
T0 = 1_722_002_400.0
HIDDEN = Count(None, True)


@pytest.fixture
async def worker(bus: Bus, store: Store) -> AsyncIterator[CrowdWorker]:
    config = parse_config({"tenant": TENANT, "scenario": str(TINY), "crowd": {"tick_s": 600}}, "test")
    started = CrowdWorker(config, bus, store)
    await started.start()
    yield started
    await started.stop()


def estimate(start: float, stand: Count) -> MobileSlotEstimate:
    return MobileSlotEstimate(
        operator="Orange",
        slot_start=start,
        slot_end=start + 300,
        market_share=0.4,
        zones=[
            ZoneEstimate(STAND, stand, HIDDEN, HIDDEN, HIDDEN, []),
            ZoneEstimate("tiny-gate", HIDDEN, HIDDEN, HIDDEN, HIDDEN, []),
            ZoneEstimate("not-a-tiny-zone", Count(5.0), HIDDEN, HIDDEN, HIDDEN, []),
        ],
        flows=[],
        k=20,
        computed_at=start + 330,
    )


async def test_mobile_slots_feed_the_zones_fusion(worker: CrowdWorker, bus: Bus) -> None:
    readings: list[Reading] = []

    async def on_readings(message: BusMessage) -> None:
        batch = messages.decode(message.data, ReadingBatch)
        readings.extend(r for r in batch.readings if r.device_id == estimate_device_id(STAND))

    await bus.subscribe(messages.ALL_READINGS, "test-readings", on_readings)
    await bus.publish(messages.mobile_estimates_subject("other-tenant"), encode_estimate(estimate(T0, Count(900.0))))
    await bus.publish(messages.mobile_estimates_subject(TENANT), b"\x01 not an estimate")
    await bus.publish(messages.mobile_estimates_subject(TENANT), encode_estimate(estimate(T0, Count(1500.0))))
    # the stand's figure is taken; the gate's withheld figure only bounds it; the unknown zone is left out
    await wait_until(lambda: worker.mobile_figures_used >= 1, 5.0, lambda: f"{worker.mobile_figures_used}")
    await worker.tick()
    await wait_until(lambda: any(r.metric == "people" for r in readings), 5.0, lambda: str(readings))
    people = [r.value for r in readings if r.metric == "people"][-1]
    assert abs(people - 1500.0) < 30.0  # the only source of the stand: its figure is the mobile one (2 %)


async def test_a_zone_the_cells_cannot_resolve_is_not_fused(worker: CrowdWorker, bus: Bus) -> None:
    unresolved = ZoneEstimate(STAND, Count(1500.0), HIDDEN, HIDDEN, HIDDEN, [], resolvable=False, resolution=0.2)
    gate = ZoneEstimate("tiny-gate", Count(300.0), HIDDEN, HIDDEN, HIDDEN, [])
    slot = MobileSlotEstimate("Orange", T0, T0 + 300, 0.4, [unresolved, gate], [], 20, T0 + 330)
    await bus.publish(messages.mobile_estimates_subject(TENANT), encode_estimate(slot))
    await wait_until(lambda: worker.mobile_figures_used >= 1, 5.0, lambda: f"{worker.mobile_figures_used}")
    assert worker.mobile_figures_used == 1  # the gate's figure only: the stand's is the prior's split
