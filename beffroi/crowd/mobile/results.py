"""What leaves the mobile-network estimator: aggregates only, with small counts withheld, typed for the bus."""

from __future__ import annotations

import msgspec

from beffroi.crowd.mobile.origins import OriginKind

OUTSIDE = "outside"
"""The zone id that stands, in flows, for anywhere covered by the cell plan but outside every zone."""


class Count(msgspec.Struct, frozen=True):
    """A published head count (people, extrapolated from the operator's subscribers), or None when withheld:
    `fewer_than_k` then says fewer than k subscribers stand behind it, or that it was withheld with such a count
    so that subtraction from a total cannot recover it (the two are not told apart, on purpose)."""

    people: float | None
    fewer_than_k: bool = False


class OriginCount(msgspec.Struct, frozen=True):
    """People from one origin: a département (billing address) or a country (roamers' home network)."""

    kind: OriginKind
    code: str
    people: float


class ZoneEstimate(msgspec.Struct, frozen=True):
    """One zone over one slot: people present (time-averaged over the slot), residents (billing address in the
    zone's département), visitors (present during the night hours), day visitors (not), and origins. Origins
    withheld are left out rather than listed empty: listing one would tell that someone from there is present.
    `resolution` (0-1): how much the zone's figures are its cells' own counts rather than the density prior's
    split of cells it shares with other zones (`beffroi.crowd.mobile.resolution`); `resolvable` False when under
    the estimator's threshold: the figures stay (sums over a site, flows) but are not the zone's alone, and must
    not be shown or fused as such."""

    zone_id: str
    present: Count
    residents: Count
    visitors: Count
    day_visitors: Count
    origins: list[OriginCount]
    resolvable: bool = True
    resolution: float = 1.0


class Flow(msgspec.Struct, frozen=True):
    """People whose zone changed from `from_zone` to `to_zone` between the previous slot and this one
    (`outside` for the covered area outside every zone). Pairs not listed had fewer than k (or none)."""

    from_zone: str
    to_zone: str
    people: float


class MobileSlotEstimate(msgspec.Struct, frozen=True, tag="mobile_slot_estimate"):
    """The crowd figures of one operator's network over one slot [slot_start, slot_end) (epoch seconds).
    `noise_scale` is the Laplace scale (in subscribers) of each released count when differential privacy is on
    (`epsilon` per slot over all the slot's tables); `computed_at` is when the figures were made."""

    operator: str
    slot_start: float
    slot_end: float
    market_share: float
    zones: list[ZoneEstimate]
    flows: list[Flow]
    k: int
    computed_at: float
    epsilon: float | None = None
    noise_scale: float | None = None
