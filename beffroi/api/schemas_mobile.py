"""Response shapes of the mobile-network figures route (for the OpenAPI document; the route answers with msgspec)."""

from __future__ import annotations

from typing import Literal

from beffroi.api.schemas import Shape


class MobileCountOut(Shape):
    """A head count extrapolated from the operator's subscribers; `people` null with `fewer_than_k` when withheld
    (fewer than k subscribers behind it, or withheld so that a total minus its parts cannot reveal one)."""

    people: float | None
    fewer_than_k: bool


class MobileOriginOut(Shape):
    """People from one origin: a département (billing address) or a country (roamers)."""

    kind: Literal["departement", "country"]
    code: str
    people: float


class MobileFlowOut(Shape):
    """People who came from (flows_in) or went to (flows_out) another zone since the slot before (`outside`: the
    covered area outside every zone); pairs below k are not listed."""

    zone_id: str
    people: float


class MobileSlotOut(Shape):
    """One operator's figures for the zone over the slot [slot_start, slot_end) (epoch seconds). `resolvable`
    false when the operator's cells cannot tell the zone from its neighbours (`resolution`, 0-1, under the
    estimator's threshold): the figures are then mostly the density prior's split, not the zone's own; both null
    when every figure of the zone was withheld in the slot (nothing was stored to say)."""

    slot_start: float
    slot_end: float
    operator: str
    market_share: float
    present: MobileCountOut
    residents: MobileCountOut
    visitors: MobileCountOut
    day_visitors: MobileCountOut
    origins: list[MobileOriginOut]
    flows_in: list[MobileFlowOut]
    flows_out: list[MobileFlowOut]
    resolvable: bool | None = None
    resolution: float | None = None


class ZoneMobileOut(Shape):
    """A zone's mobile-network figures, oldest slot first, with the k and epsilon they were published under."""

    zone_id: str
    k: int
    epsilon: float | None
    slots: list[MobileSlotOut]
