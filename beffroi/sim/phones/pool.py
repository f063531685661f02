"""The simulated operator's phones: who they are (subscriber, category, home network, billing area) and where they
are, moved minute by minute so that each place holds its target number of phones of each category.

Each minute, in each place, some phones leave (the place's turnover, plus any surplus over the target); the ones
leaving a zone move to the site's zones short of phones, else to its surroundings, else out of the area. A zone
still short takes phones from the surroundings (people walking in), and the surroundings take what is still missing
from outside the area: a phone that left over an hour ago (the same subscriber coming back), else a new one.

The phones present sit in slots holding what the minute's work reads (group = place × 4 + category, periodic-update
minute and second, rate); a phone moving keeps its slot, one leaving the area frees it for the next to arrive. Every
pass is over these contiguous arrays, vectorised, with no Python loop over phones.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from beffroi.sim.phones.geography import DEPARTEMENT_INDEX
from beffroi.sim.phones.movement import Ints, Moves, ReturnQueue, match, unmatched
from beffroi.sim.phones.places import Places
from beffroi.sim.phones.population import (
    CALL_PER_HOUR,
    CATEGORIES,
    DATA_SESSIONS_PER_HOUR,
    MIN_ABSENCE_S,
    SMS_PER_HOUR,
    T3412_S,
    Category,
    Network,
    departement_weights,
)

_IMSI_DIGITS = 15
_MSIN_MULTIPLIER = 6_700_417
"""Odd and not a multiple of 5: multiplying by it permutes the subscriber numbers of a network."""
C = len(CATEGORIES)
RATE_PER_HOUR = CALL_PER_HOUR + SMS_PER_HOUR + DATA_SESSIONS_PER_HOUR
"""Calls, SMS and data sessions per hour at the usage peak, per category, for a phone of activity 1."""
T3412_MINUTES = round(T3412_S / 60)
NO_MINUTE = 255
"""The periodic-update minute of an empty slot: never due."""


class PhonePool:
    """Every phone of a run (columns indexed by phone), and the slots of the phones present."""

    _COLUMNS = (
        "category",
        "site",
        "place",
        "spot",
        "cell",
        "network",
        "billing",
        "phase",
        "rate",
        "imsi",
        "subscriber",
    )

    def __init__(self, places: Places, networks: list[Network], site_departements: list[str], *, id_salt: int) -> None:
        self.places = places
        self.groups = places.count * C
        self._home = np.array([DEPARTEMENT_INDEX[code] for code in site_departements], dtype=np.int16)
        self._visitor_cum = np.stack([np.cumsum(departement_weights(c, day_trip=False)) for c in site_departements])
        self._day_cum = np.stack([np.cumsum(departement_weights(c, day_trip=True)) for c in site_departements])
        weights = np.array([n.weight for n in networks[1:]])
        self._roamer_cum = np.cumsum(weights / weights.sum())
        prefixes = [f"{n.mcc}{n.mnc}" for n in networks]
        self._modulus = np.array([10 ** (_IMSI_DIGITS - len(p)) for p in prefixes], dtype=np.int64)
        self._prefix = np.array([int(p) for p in prefixes], dtype=np.int64) * self._modulus
        self._salt = id_salt
        self._keys = len(site_departements) * C
        self._returns = ReturnQueue(self._keys)
        group_place = np.arange(self.groups) // C
        self._group_key = places.site[group_place].astype(np.int64) * C + np.arange(self.groups) % C
        self._group_is_zone = ~places.surroundings[group_place]
        site_surroundings = np.flatnonzero(places.surroundings)[np.argsort(places.site[places.surroundings])]
        self._key_surroundings = np.repeat(site_surroundings, C) * C + np.tile(np.arange(C), len(site_departements))
        self.size = 0
        self.category = np.zeros(0, dtype=np.uint8)
        self.site = np.zeros(0, dtype=np.int32)
        self.place = np.zeros(0, dtype=np.int32)
        """Each phone's place, -1 when out of the area."""
        self.spot = np.zeros(0, dtype=np.int32)
        self.cell = np.zeros(0, dtype=np.int32)
        self.network = np.zeros(0, dtype=np.int16)
        self.billing = np.zeros(0, dtype=np.int16)
        self.phase = np.zeros(0, dtype=np.float32)
        """Seconds into the T3412 cycle at which the phone's periodic updates fall."""
        self.rate = np.zeros(0, dtype=np.float32)
        """Calls, SMS and data sessions per hour at the usage peak."""
        self.imsi = np.zeros(0, dtype=np.int64)
        self.subscriber = np.zeros(0, dtype="<U15")
        self.slot_phone: Ints = np.zeros(0, dtype=np.int64)
        """The phone in each slot, -1 for an empty slot."""
        self.slot_group = np.zeros(0, dtype=np.int32)
        """The group (place × 4 + category) of each slot's phone; `groups` for an empty slot."""
        self.slot_minute = np.zeros(0, dtype=np.uint8)
        """Minute of the T3412 cycle of each slot's periodic updates (NO_MINUTE when empty)."""
        self.slot_second = np.zeros(0, dtype=np.float32)
        self.slot_rate = np.zeros(0, dtype=np.float32)
        self._free: Ints = np.zeros(0, dtype=np.int64)

    @property
    def active(self) -> Ints:
        """The phones present."""
        return self.slot_phone[self.slot_phone >= 0]

    def counts(self) -> npt.NDArray[np.int64]:
        """Phones present per group (place × 4 + category)."""
        return np.bincount(self.slot_group, minlength=self.groups + 1)[: self.groups].astype(np.int64)

    def _grow(self, needed: int) -> None:
        capacity = self.category.shape[0]
        if needed <= capacity:
            return
        new = max(needed, 2 * capacity, 1024)
        for name in self._COLUMNS:
            old = getattr(self, name)
            grown = np.zeros(new, dtype=old.dtype)
            grown[:capacity] = old
            setattr(self, name, grown)

    def _create(self, site: Ints, category: Ints, rng: np.random.Generator) -> Ints:
        """New phones of these sites and categories (subscriber, home network, billing area, timer phase, rate)."""
        count = int(site.shape[0])
        self._grow(self.size + count)
        phones = np.arange(self.size, self.size + count, dtype=np.int64)
        self.size += count
        self.site[phones] = site
        self.category[phones] = category
        u = rng.random(count)
        billing = self._home[site].astype(np.int64)
        for cat, cum in ((Category.VISITOR, self._visitor_cum), (Category.DAY_VISITOR, self._day_cum)):
            chosen = category == cat
            billing[chosen] = np.minimum((cum[site[chosen]] < u[chosen, None]).sum(axis=1), cum.shape[1] - 1)
        roamer = category == Category.ROAMER
        billing[roamer] = -1
        network = np.zeros(count, dtype=np.int64)
        network[roamer] = 1 + np.minimum(np.searchsorted(self._roamer_cum, u[roamer]), self._roamer_cum.shape[0] - 1)
        self.billing[phones] = billing
        self.network[phones] = network
        self.phase[phones] = rng.uniform(0.0, T3412_S, count)
        self.rate[phones] = RATE_PER_HOUR[category] * rng.gamma(2.0, 0.5, count)
        msin = ((phones + 1) * _MSIN_MULTIPLIER + self._salt) % self._modulus[network]
        self.imsi[phones] = self._prefix[network] + msin
        self.subscriber[phones] = self.imsi[phones].astype("<U15")
        return phones

    def _settle(self, phones: Ints, group: Ints, rng: np.random.Generator) -> None:
        """Put phones in places: a random spot of the place, served by one of its covering cells (the strongest
        after shadowing)."""
        places = self.places
        place = group // C
        self.place[phones] = place
        spot = places.spot_start[place] + (rng.random(phones.shape[0]) * places.spot_count[place]).astype(np.int64)
        odds = places.spot_serving[spot]
        best = np.minimum(np.sum(odds < rng.random((phones.shape[0], 1), dtype=np.float32), axis=1), odds.shape[1] - 1)
        self.spot[phones] = spot
        self.cell[phones] = places.spot_cells[spot, best]

    def _occupy(self, phones: Ints, group: Ints) -> None:
        """Give arriving phones slots: free ones first, else new ones (added a tenth at a time)."""
        missing = phones.shape[0] - self._free.shape[0]
        if missing > 0:
            size = self.slot_phone.shape[0]
            extra = max(missing, size // 10)
            self.slot_phone = np.concatenate([self.slot_phone, np.full(extra, -1, dtype=np.int64)])
            self.slot_group = np.concatenate([self.slot_group, np.full(extra, self.groups, dtype=np.int32)])
            self.slot_minute = np.concatenate([self.slot_minute, np.full(extra, NO_MINUTE, dtype=np.uint8)])
            self.slot_second = np.concatenate([self.slot_second, np.zeros(extra, dtype=np.float32)])
            self.slot_rate = np.concatenate([self.slot_rate, np.zeros(extra, dtype=np.float32)])
            self._free = np.concatenate([self._free, np.arange(size, size + extra)])
        slots, self._free = self._free[: phones.shape[0]], self._free[phones.shape[0] :]
        phase = self.phase[phones]
        minute = np.floor(phase / 60.0)
        self.slot_phone[slots] = phones
        self.slot_group[slots] = group
        self.slot_minute[slots] = minute
        self.slot_second[slots] = phase - 60.0 * minute
        self.slot_rate[slots] = self.rate[phones]

    def _vacate(self, slots: Ints) -> None:
        self.slot_phone[slots] = -1
        self.slot_group[slots] = self.groups
        self.slot_minute[slots] = NO_MINUTE
        self.slot_rate[slots] = 0.0
        self._free = np.concatenate([self._free, slots])

    def populate(self, targets: npt.NDArray[np.int64], rng: np.random.Generator) -> None:
        """Fill every place with its target phones at once (the start of a run: no signalling)."""
        group = np.repeat(np.arange(self.groups, dtype=np.int64), targets.ravel())
        phones = self._create(self.places.site[group // C].astype(np.int64), group % C, rng)
        self._settle(phones, group, rng)
        self._occupy(phones, group)

    def step(
        self, t: float, targets: npt.NDArray[np.int64], turnover_s: npt.NDArray[np.float64], rng: np.random.Generator
    ) -> Moves:
        """Move phones so each place and category gets near its target for the minute starting at `t`, people
        staying `turnover_s` in each place on average."""
        group = self.slot_group
        target = targets.ravel()
        count = np.bincount(group, minlength=self.groups + 1)[: self.groups]
        keep = np.minimum(count, target) * np.repeat(np.exp(-60.0 / turnover_s), C)
        leave_p = np.zeros(self.groups + 1, dtype=np.float32)
        leave_p[:-1] = np.where(count > 0, 1.0 - keep / np.maximum(count, 1), 0.0)
        # People walking in from the surroundings, drawn with the same numbers: enough candidates for the zones'
        # expected shortfall, before knowing which leavers will fill it.
        shortfall = np.bincount(self._group_key, weights=np.where(self._group_is_zone, target - keep, 0.0))
        walk_p = leave_p.copy()
        around = self._key_surroundings
        walk_p[around] += np.minimum(1.0, (1.3 * shortfall + 2.0) / np.maximum(count[around], 1)) * (shortfall > 0.5)
        u = rng.random(group.shape[0], dtype=np.float32)
        leaving = np.flatnonzero(u < np.take(leave_p, group))
        walking = np.flatnonzero(u < np.take(walk_p, group))
        walking = walking[leave_p[group[walking]] <= u[walking]]
        leave_group = group[leaving].astype(np.int64)
        from_zone = self._group_is_zone[leave_group]
        movers, mover_key = leaving[from_zone], self._group_key[leave_group[from_zone]]
        exits = leaving[~from_zone]
        remaining = count - np.bincount(leave_group, minlength=self.groups)
        deficit = np.maximum(target - remaining, 0)

        # Zones short of phones: first the phones leaving other zones of the site, then people from its surroundings.
        slots = np.repeat(np.arange(self.groups), np.where(self._group_is_zone, deficit, 0))
        src, dst = match(mover_key, self._group_key[slots], rng)
        moved, moved_to = [movers[src]], [slots[dst]]
        spare = unmatched(movers.shape[0], src)
        movers, mover_key = movers[spare], mover_key[spare]
        slots = slots[unmatched(slots.shape[0], dst)]
        src, dst = match(self._group_key[group[walking]], self._group_key[slots], rng)
        walkers = walking[src]
        moved.append(walkers)
        moved_to.append(slots[dst])
        outside = [slots[unmatched(slots.shape[0], dst)]]

        # The surroundings: phones leaving the site's zones, then phones from outside the area.
        walked = np.bincount(group[walkers], minlength=self.groups)
        deficit = np.where(self._group_is_zone, 0, np.maximum(target - (remaining - walked), 0))
        slots = np.repeat(np.arange(self.groups), deficit)
        src, dst = match(mover_key, self._group_key[slots], rng)
        moved.append(movers[src])
        moved_to.append(slots[dst])
        exits = np.concatenate([exits, movers[unmatched(movers.shape[0], src)]])
        outside.append(slots[unmatched(slots.shape[0], dst)])

        moved_slots, moved_group = np.concatenate(moved), np.concatenate(moved_to)
        moved_phones = self.slot_phone[moved_slots]
        moved_from_cell = self.cell[moved_phones]
        moved_from_place = self.place[moved_phones]
        self._settle(moved_phones, moved_group, rng)
        self.slot_group[moved_slots] = moved_group
        exited = self.slot_phone[exits]
        self.place[exited] = -1
        self._returns.push(self.site[exited].astype(np.int64) * C + self.category[exited], exited, t)
        self._vacate(exits)
        entering_group = np.concatenate(outside)
        entered = self._enter(entering_group, t, rng)
        self._occupy(entered, entering_group)
        if self._free.shape[0] > 0.4 * self.slot_phone.shape[0]:
            self._compact()
        return Moves(
            moved_phones, moved_from_place, moved_group // C, moved_from_cell, self.cell[moved_phones], entered, exited
        )

    def _compact(self) -> None:
        """Drop the empty slots."""
        used = self.slot_phone >= 0
        self.slot_phone = self.slot_phone[used]
        self.slot_group = self.slot_group[used]
        self.slot_minute = self.slot_minute[used]
        self.slot_second = self.slot_second[used]
        self.slot_rate = self.slot_rate[used]
        self._free = np.zeros(0, dtype=np.int64)

    def _enter(self, groups: Ints, t: float, rng: np.random.Generator) -> Ints:
        """Phones coming into the area for these groups (in that order): back after an absence, else new."""
        key = self._group_key[groups]
        order = np.argsort(key, kind="stable")
        phones = np.full(key.shape[0], -1, dtype=np.int64)
        sorted_key = key[order]
        bounds = np.flatnonzero(np.diff(sorted_key)) + 1
        starts = np.concatenate(([0], bounds)).tolist()
        stops = np.concatenate((bounds, [sorted_key.shape[0]])).tolist()
        for first, stop in zip(starts, stops, strict=True):
            if stop > first:
                back = self._returns.pop(int(sorted_key[first]), stop - first, t - MIN_ABSENCE_S)
                phones[order[first : first + back.shape[0]]] = back
        new = phones < 0
        phones[new] = self._create(key[new] // C, key[new] % C, rng)
        self._settle(phones, groups, rng)
        return phones
