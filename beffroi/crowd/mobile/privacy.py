"""What may leave the module: k-suppression of every count, against subtraction too, and optional Laplace noise.

k applies to subscribers observed (before extrapolation), so every published head count stands for at least k
subscribers, hence at least k people. A count is withheld when fewer than k stand behind it (primary); then, in
each set of counts published with their total (a zone's categories, its origins, its non-resident origins),
more counts are withheld, smallest first, until those withheld add up to at least k (complementary), so that
the total minus the visible parts never gives a count below k; a zone's residents and its home-département
origin, the same count, are withheld together. Flows have no published totals: primary suppression only.

With `epsilon` set, each table of a slot (the cells' counts when they drive the cell-to-zone split — its refinement,
or the timing advance bands' shares of each cell —, never published; zone totals; categories; origins over every
possible origin; flows over every pair of zones) gets Laplace noise of scale sensitivity / (epsilon / tables):
epsilon per slot in all, sensitivity being the most weight one subscriber adds to a table in a slot (1, or 2 in the
hour after a key change when a subscriber may be counted under both pseudonyms). Allocation, suppression and
extrapolation then use noisy counts only (post-processing), and complementary suppression is not needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.aggregate import RawSlotFigures
from beffroi.crowd.mobile.origins import describe, universe
from beffroi.crowd.mobile.results import OUTSIDE, Count, Flow, MobileSlotEstimate, OriginCount, ZoneEstimate
from beffroi.errors import ConfigError

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
TABLES = 5
"""Tables released per slot, sharing epsilon, at most: cells' counts (only when they drive the split),
zone totals, categories, origins, flows."""


@dataclass(frozen=True)
class PrivacySettings:
    """k: the smallest count of subscribers a published figure may stand for; epsilon: the differential-privacy
    budget per slot (None: no noise); seed: for reproducible noise in tests only."""

    k: int = 20
    epsilon: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.k < 1:
            problems.append(f"k: must be at least 1 (got {self.k})")
        if self.epsilon is not None and not self.epsilon > 0:
            problems.append(f"epsilon: must be positive (got {self.epsilon})")
        if problems:
            raise ConfigError("mobile privacy", problems)


def laplace_scale(sensitivity: float, epsilon: float, tables: int = TABLES) -> float:
    """The Laplace scale of each released count when `epsilon` per slot is shared by the slot's `tables`."""
    return sensitivity / (epsilon / tables)


def cell_noise(epsilon: float, rng: np.random.Generator, width: int = 1) -> Callable[[F64, float], F64]:
    """Laplace noise for the cells' counts, given their sensitivity (one of the slot's tables), made nonnegative
    per group of `width` rows (a cell's virtual cells: see `nonnegative_counts`)."""

    def noisy(counts: F64, sensitivity: float) -> F64:
        return nonnegative_counts(counts + rng.laplace(0.0, laplace_scale(sensitivity, epsilon), counts.shape), width)

    return noisy


def nonnegative_counts(noisy: F64, width: int) -> F64:
    """Noised counts made nonnegative without adding anyone (post-processing: no privacy cost). Each group of `width`
    consecutive counts (a cell's timing advance bands and its whole-cell row) becomes the nonnegative vector nearest
    to it (least squares) with the group's noised total (at least 0): the Euclidean projection onto a simplex. Each
    count clipped at 0 instead gives every empty one half the noise scale on average: a cell's 17 rows mostly
    empty, ε = 2 (scale 2.5) lent each cell about 20 phantom subscribers, spread over bands where nobody stands,
    and its people were split towards them (on the simulated venues, seed 11, noise raised the resolvable zones'
    error by 0.70 points clipped, 0.36 projected). With `width` 1, each count clipped at 0."""
    groups = noisy.reshape(-1, width)
    total = np.maximum(groups.sum(axis=1, keepdims=True), 0.0)
    ordered = -np.sort(-groups, axis=1)
    threshold = (np.cumsum(ordered, axis=1) - total) / np.arange(1, width + 1)
    kept = np.sum(ordered > threshold, axis=1, keepdims=True)  # the largest `kept` stay positive
    cut = np.take_along_axis(threshold, np.maximum(kept - 1, 0), axis=1)
    return np.asarray(np.maximum(groups - cut, 0.0).reshape(-1), dtype=np.float64)


def complete(values: F64, withheld: Mask, k: float) -> bool:
    """Withhold more of `values`, smallest first, until the withheld ones (if any) add up to at least k.
    Returns whether anything more was withheld."""
    changed = False
    while withheld.any() and values[withheld].sum() < k and not withheld.all():
        visible = np.flatnonzero(~withheld)
        withheld[visible[np.argmin(values[visible])]] = True
        changed = True
    return changed


def protect_zone(
    total: float, categories: F64, origins: F64, resident: int, k: float, complementary: bool = True
) -> tuple[bool, Mask, Mask]:
    """Which of a zone's counts to withhold (in subscribers): the total, its categories (resident, visitor, day
    visitor), its origins (`resident`: position of the home-département origin among them, or -1). Exact
    counts of zero are published (no one to protect) and need no cover; without `complementary` (noisy counts,
    protected by the noise), every count below k is withheld and no cover is added."""
    if total < k:
        return True, np.ones(3, dtype=bool), np.ones(origins.shape[0], dtype=bool)
    if not complementary:  # noisy counts: a zero is not known to be one
        return False, categories < k, origins < k
    categories_withheld = (categories > 0) & (categories < k)
    origins_withheld = (origins > 0) & (origins < k)
    others = np.ones(origins.shape[0], dtype=bool)
    if resident >= 0:
        others[resident] = False
    changed = True
    while changed:
        changed = complete(categories, categories_withheld, k)
        changed |= complete(origins, origins_withheld, k)
        if resident >= 0 and categories_withheld[0] != origins_withheld[resident]:
            categories_withheld[0] = origins_withheld[resident] = True
            changed = True
        non_residents_known = not categories_withheld[0] or not categories_withheld[1:].any()
        if non_residents_known:
            subset = origins_withheld[others]
            if complete(origins[others], subset, k):
                origins_withheld[others] = subset
                changed = True
    return False, categories_withheld, origins_withheld


def _ratio(people: F64, subscribers: F64, fallback: float) -> float:
    total = float(subscribers.sum())
    return float(people.sum()) / total if total > 0 else fallback


def _positions(codes: npt.NDArray[np.int32], wanted: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """Position of each wanted code in the sorted `codes`, or -1 where absent."""
    if codes.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(codes, wanted), codes.shape[0] - 1)
    return np.where(codes[at] == wanted, at, -1).astype(np.int64)


def protect(
    raw: RawSlotFigures,
    resident_origin: npt.NDArray[np.int32],
    factor: F64,
    settings: PrivacySettings,
    rng: np.random.Generator,
    operator: str,
    market_share: float,
    host_mcc: int,
    resolution: F64 | None = None,
    min_resolution: float = 0.0,
) -> MobileSlotEstimate:
    """The publishable estimate of a slot. `resident_origin`: per zone, the origin code of its département
    (-1: none); `factor`: 1 / market share per origin code; `resolution`: per zone (None: all 1), those under
    `min_resolution` marked not resolvable."""
    zones = len(raw.zone_ids)
    k = float(settings.k)
    scale = laplace_scale(raw.sensitivity, settings.epsilon, raw.tables) if settings.epsilon is not None else None
    presence, people = raw.presence[:zones], raw.people[:zones]
    home = _positions(raw.origins, resident_origin)
    with_home = np.flatnonzero(home >= 0)
    resident_cells = np.zeros((zones, 2))
    resident_cells[with_home] = presence[with_home, home[with_home], :]
    total_r = presence.sum(axis=(1, 2))
    categories_r = np.column_stack(
        (
            resident_cells.sum(axis=1),
            presence[:, :, 1].sum(axis=1) - resident_cells[:, 1],
            presence[:, :, 0].sum(axis=1) - resident_cells[:, 0],
        )
    ).clip(min=0.0)
    codes, origin_r, resident = raw.origins, presence.sum(axis=2), home
    if scale is not None:
        codes = universe(host_mcc)
        spread = np.zeros((zones, codes.shape[0]))
        spread[:, np.searchsorted(codes, raw.origins)] = origin_r
        origin_r, resident = spread, _positions(codes, resident_origin)
        total_r = total_r + rng.laplace(0.0, scale, zones)
        categories_r = categories_r + rng.laplace(0.0, scale, categories_r.shape)
        origin_r = origin_r + rng.laplace(0.0, scale, origin_r.shape)
    origin_factor = factor[codes]
    fallback = 1.0 / market_share
    zone_results, published_people, published_subscribers = [], 0.0, 0.0
    for zone in range(zones):
        total_withheld, categories_withheld, origins_withheld = protect_zone(
            float(total_r[zone]), categories_r[zone], origin_r[zone], int(resident[zone]), k, scale is None
        )
        visible = np.flatnonzero(~origins_withheld & (origin_r[zone] > 0))
        origin_people = origin_r[zone] * origin_factor if scale is not None else people[zone].sum(axis=1)
        if scale is not None:
            zone_factor = _ratio(origin_people[visible], origin_r[zone, visible], fallback)
            others = visible[visible != resident[zone]]
            visitor_factor = _ratio(origin_people[others], origin_r[zone, others], zone_factor)
            home_factor = float(origin_factor[resident[zone]]) if resident[zone] >= 0 else fallback
            total_people = float(total_r[zone]) * zone_factor
            category_people = categories_r[zone] * np.array([home_factor, visitor_factor, visitor_factor])
        else:
            total_people = float(people[zone].sum())
            at_home = people[zone, resident[zone], :] if resident[zone] >= 0 else np.zeros(2)
            category_people = np.array(
                [at_home.sum(), people[zone, :, 1].sum() - at_home[1], people[zone, :, 0].sum() - at_home[0]]
            ).clip(min=0.0)
        if not total_withheld:
            published_people += total_people
            published_subscribers += float(total_r[zone])
        zone_results.append(
            ZoneEstimate(
                zone_id=raw.zone_ids[zone],
                present=_count(total_people, total_withheld),
                residents=_count(float(category_people[0]), bool(categories_withheld[0])),
                visitors=_count(float(category_people[1]), bool(categories_withheld[1])),
                day_visitors=_count(float(category_people[2]), bool(categories_withheld[2])),
                origins=[
                    OriginCount(*describe(int(codes[index])), people=round(float(origin_people[index]), 1))
                    for index in visible
                ],
                resolvable=bool(resolution is None or resolution[zone] >= min_resolution),
                resolution=round(float(resolution[zone]), 3) if resolution is not None else 1.0,
            )
        )
    flow_factor = published_people / published_subscribers if published_subscribers > 0 else fallback
    return MobileSlotEstimate(
        operator=operator,
        slot_start=raw.slot_start,
        slot_end=raw.slot_end,
        market_share=market_share,
        zones=zone_results,
        flows=_flows(raw, k, scale, rng, flow_factor),
        k=settings.k,
        computed_at=time.time(),
        epsilon=settings.epsilon,
        noise_scale=scale,
    )


def _count(people: float, withheld: bool) -> Count:
    return Count(people=None, fewer_than_k=True) if withheld else Count(people=round(people, 1))


def _flows(raw: RawSlotFigures, k: float, scale: float | None, rng: np.random.Generator, factor: float) -> list[Flow]:
    names = (*raw.zone_ids, OUTSIDE)
    size = len(names)
    if scale is None:
        keep = raw.flow_subscribers >= k
        return [
            Flow(names[int(a)], names[int(b)], round(float(people), 1))
            for a, b, people in zip(raw.flow_from[keep], raw.flow_to[keep], raw.flow_people[keep], strict=True)
        ]
    dense = np.zeros((size, size))
    dense[raw.flow_from, raw.flow_to] = raw.flow_subscribers
    dense += rng.laplace(0.0, scale, dense.shape)
    np.fill_diagonal(dense, 0.0)
    sources, targets = np.nonzero(dense >= k)
    return [
        Flow(names[int(a)], names[int(b)], round(float(dense[a, b]) * factor, 1))
        for a, b in zip(sources, targets, strict=True)
    ]
