"""A synthetic city for the mobile-network estimator: cell plan, zones, people with a day of stays, the phones
of the operator's subscribers among them with their signalling, and the true head count per zone per minute.

People stay in places (home, a day place, an evening place: the stadium for a match's spectators) and move
between them; a phone is served by the covering cell with the strongest signal (see `City.best_server`). Phones
signal a periodic update every `periodic_s` (random phase), calls/sms/data at a diurnal rate, and a location
update on arriving somewhere else (always when coming into the area, `move_signal_p` otherwise): an idle phone
that moves is otherwise unheard of until its next event, as on a real network. Each record carries the timing
advance, measured as the simulator measures it (`beffroi.sim.phones.simulation.timing_advance_of`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.domain.registry import Zone, ZoneKind
from beffroi.domain.signalling import Cell, CellPlan, SignallingBatch, SignallingEvent
from beffroi.sim.phones.simulation import timing_advance_of

LON0, LAT0 = 2.35, 48.85
METRES_PER_DEG_LAT = 111_195.0
METRES_PER_DEG_LON = METRES_PER_DEG_LAT * math.cos(math.radians(LAT0))
HOME_DEPARTEMENT = "75"
ABSENT = -1
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]


def lonlat(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F64, F64]:
    """Metres east/north of the city's origin as lon/lat."""
    return (
        LON0 + np.asarray(x, dtype=np.float64) / METRES_PER_DEG_LON,
        LAT0 + np.asarray(y, dtype=np.float64) / METRES_PER_DEG_LAT,
    )


def rectangle_zone(zone_id: str, x0: float, y0: float, x1: float, y1: float, kind: ZoneKind, capacity: int) -> Zone:
    """A rectangular zone given in city metres."""
    lon, lat = lonlat([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    ring = [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    return Zone(zone_id, "city", "city", zone_id, kind, [ring], (x1 - x0) * (y1 - y0), capacity)


@dataclass
class City:
    """The plan, the zones (their rectangles in metres alongside) and the city's size."""

    plan: CellPlan
    zones: list[Zone]
    boxes: F64
    """(zones, 4): x0, y0, x1, y1 in metres."""
    size_m: float
    cell_xy: F64
    cell_azimuth: F64
    cell_beam: F64
    cell_range: F64

    def zone_of(self, x: F64, y: F64) -> I32:
        """The zone of each point (len(zones) when outside every zone; zones do not overlap)."""
        out = np.full(x.shape[0], len(self.zones), dtype=np.int32)
        for index, (x0, y0, x1, y1) in enumerate(self.boxes):
            out[(x >= x0) & (x < x1) & (y >= y0) & (y < y1)] = index
        return out

    def best_server(
        self, x: F64, y: F64, rng: np.random.Generator | None = None, shadowing_db: float = 6.0, tile_m: float = 1000.0
    ) -> I32:
        """The serving cell of each point (-1: none): the covering cell (within range and ± beam width) with the
        strongest signal: the same power for every macro cell and 15 dB less for small cells, path loss exponent
        3.76, 3GPP antenna pattern, and log-normal shadowing (`shadowing_db`, drawn per point and cell; none
        without `rng`)."""
        out = np.full(x.shape[0], -1, dtype=np.int32)
        reach = float(self.cell_range.max())
        tiles_x = np.floor(x / tile_m).astype(np.int64)
        tiles_y = np.floor(y / tile_m).astype(np.int64)
        tile = tiles_x * 100_000 + tiles_y
        order = np.argsort(tile, kind="stable")
        bounds = np.flatnonzero(np.concatenate(([True], tile[order][1:] != tile[order][:-1], [True])))
        for begin, end in itertools.pairwise(bounds):
            rows = order[begin:end]
            tx, ty = tiles_x[rows[0]] * tile_m, tiles_y[rows[0]] * tile_m
            near = np.flatnonzero(
                (self.cell_xy[:, 0] > tx - reach)
                & (self.cell_xy[:, 0] < tx + tile_m + reach)
                & (self.cell_xy[:, 1] > ty - reach)
                & (self.cell_xy[:, 1] < ty + tile_m + reach)
            )
            if near.size == 0:
                continue
            dx = x[rows, None] - self.cell_xy[near, 0]
            dy = y[rows, None] - self.cell_xy[near, 1]
            distance = np.hypot(dx, dy)
            bearing = np.degrees(np.arctan2(dx, dy)) % 360
            off = np.abs((bearing - self.cell_azimuth[near] + 180) % 360 - 180)
            omni = self.cell_beam[near] >= 360
            covered = (distance <= self.cell_range[near]) & (omni | (off <= self.cell_beam[near]))
            pattern = np.where(omni, 0.0, np.minimum(12.0 * (off / self.cell_beam[near]) ** 2, 20.0))
            power = -37.6 * np.log10(np.maximum(distance, 10.0)) - pattern
            power -= np.where(self.cell_range[near] < 600.0, 15.0, 0.0)
            if rng is not None:
                power += rng.normal(0.0, shadowing_db, power.shape)
            score = np.where(covered, -power, np.inf)
            best = np.argmin(score, axis=1)
            served = np.isfinite(score[np.arange(rows.shape[0]), best])
            out[rows[served]] = near[best[served]]
        return out


def build_city(
    districts: int = 12, district_m: float = 1000.0, margin_m: float = 2000.0, site_spacing_m: float = 1200.0
) -> City:
    """A square city: districts × districts residential zones, a stadium, a fan zone and a station square in
    the ring around them; a grid of 3-sector macro sites and small cells in the stadium and the fan zone."""
    size = districts * district_m + 2 * margin_m
    boxes, zones = [], []
    for i in range(districts):
        for j in range(districts):
            x0, y0 = margin_m + i * district_m, margin_m + j * district_m
            boxes.append((x0, y0, x0 + district_m, y0 + district_m))
            zones.append(rectangle_zone(f"d{i:02d}{j:02d}", *boxes[-1], ZoneKind.PLAZA, int(district_m**2 * 0.03)))
    venues = {
        "stadium": ((size - margin_m / 2 - 150, size / 2 - 110, size - margin_m / 2 + 150, size / 2 + 110), 45_000),
        "fan_zone": ((size / 2 - 200, size - margin_m / 2 - 150, size / 2 + 200, size - margin_m / 2 + 150), 15_000),
        "station": ((margin_m / 2 - 100, size / 2 - 100, margin_m / 2 + 100, size / 2 + 100), 5_000),
    }
    kinds = {"stadium": ZoneKind.STAND, "fan_zone": ZoneKind.FAN_ZONE, "station": ZoneKind.PLATFORM}
    for name, (box, capacity) in venues.items():
        boxes.append(box)
        zones.append(rectangle_zone(name, *box, kinds[name], capacity))
    cells: list[tuple[float, float, float, float, float]] = []
    steps = int(size // site_spacing_m) + 1
    for i in range(steps):
        for j in range(steps):
            sx = i * site_spacing_m + (site_spacing_m / 2 if j % 2 else 0.0)
            sy = j * site_spacing_m * 0.866
            for azimuth in (0.0, 120.0, 240.0):
                cells.append((sx, sy, azimuth, 65.0, 1.4 * site_spacing_m))
    for name in ("stadium", "fan_zone"):
        x0, y0, x1, y1 = venues[name][0]
        for fx in (0.25, 0.75):
            for fy in (0.25, 0.75):
                cells.append((x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), 0.0, 360.0, 0.45 * site_spacing_m))
    array = np.array(cells)
    lon, lat = lonlat(array[:, 0], array[:, 1])
    plan_cells = [
        Cell(
            f"c{index}", float(lon[index]), float(lat[index]), None if beam >= 360 else float(az), float(beam), float(r)
        )
        for index, (_, _, az, beam, r) in enumerate(cells)
    ]
    return City(
        plan=CellPlan("synthetic", 208, 0.4, plan_cells),
        zones=zones,
        boxes=np.array(boxes, dtype=np.float64),
        size_m=size,
        cell_xy=array[:, :2],
        cell_azimuth=array[:, 2],
        cell_beam=array[:, 3],
        cell_range=array[:, 4],
    )


@dataclass
class Population:
    """People's stays over one day: `bounds[:, s]` starts stay s (s = 0..4), `zone`/`cell` per stay (ABSENT:
    not in the area). Subscribers are the first `subscribers` people (their stays, ids, origins, phase)."""

    day_start: float
    bounds: F64
    zone: I32
    cell: I32
    distance: F64
    """Per stay, metres from where the person stands to the serving cell's antenna."""
    subscribers: int
    ids: npt.NDArray[np.str_]
    home_mcc: npt.NDArray[np.int16]
    billing_area: npt.NDArray[np.str_]
    phase: F64
    activity: F64


def _uniform_in(city: City, zone: I32, rng: np.random.Generator) -> tuple[F64, F64]:
    """A random point in each zone (outside: anywhere in the city but the zones)."""
    box = city.boxes[np.minimum(zone, len(city.zones) - 1)]
    x = box[:, 0] + rng.random(zone.shape[0]) * (box[:, 2] - box[:, 0])
    y = box[:, 1] + rng.random(zone.shape[0]) * (box[:, 3] - box[:, 1])
    outside = np.flatnonzero(zone == len(city.zones))
    if outside.size:
        x[outside], y[outside] = _outside_points(city, outside.size, rng)
    return x, y


def _outside_points(city: City, count: int, rng: np.random.Generator) -> tuple[F64, F64]:
    x, y = np.empty(0), np.empty(0)
    while x.size < count:
        cx, cy = rng.random(2 * count) * city.size_m, rng.random(2 * count) * city.size_m
        keep = city.zone_of(cx, cy) == len(city.zones)
        x, y = np.concatenate((x, cx[keep])), np.concatenate((y, cy[keep]))
    return x[:count], y[:count]


def build_population(
    city: City,
    people: int,
    day_start: float,
    rng: np.random.Generator,
    spectators: int = 40_000,
    fans: int = 8_000,
    market_share: float = 0.4,
    roamer_share: float = 0.3,
) -> Population:
    """People living in the districts (and around), visitors, day visitors and roamers; `spectators` at the
    stadium in the evening and `fans` at the fan zone in the afternoon. Only subscribers get phones."""
    districts = len(city.zones) - 3
    zones = len(city.zones)
    kind = rng.choice(4, size=people, p=[0.72, 0.10, 0.12, 0.06])  # resident, visitor, day visitor, roamer
    weight = rng.lognormal(0.0, 0.5, districts)
    home = rng.choice(districts, size=people, p=weight / weight.sum()).astype(np.int32)
    home[rng.random(people) < 0.12] = zones  # living outside the zones
    day_place = rng.choice(districts, size=people, p=weight / weight.sum()).astype(np.int32)
    stays_home = rng.random(people) < 0.35
    day_place[stays_home] = home[stays_home]
    stadium, fan_zone, station = zones - 3, zones - 2, zones - 1
    commuters = rng.random(people) < 0.01
    day_place[commuters] = station
    evening = home.copy()
    night_place = home.copy()
    day_visitor = kind == 2
    night_place[day_visitor] = ABSENT
    fan = rng.choice(people, size=min(fans, people), replace=False)
    spectator = rng.choice(people, size=min(spectators, people), replace=False)
    day_place[fan] = fan_zone
    evening[spectator] = stadium

    def at(local_hour: npt.ArrayLike) -> F64:  # the key-day starts at 03:00 local
        return day_start + (np.asarray(local_hour, dtype=np.float64) - 3.0) * 3600.0

    leave = at(rng.normal(8.0, 1.0, people).clip(5, 11))
    back = at(rng.normal(17.5, 1.5, people).clip(14, 21))
    out = back + rng.uniform(0.2, 1.0, people) * 3600.0
    home_again = out + rng.uniform(0.5, 2.0, people) * 3600.0
    match = np.zeros(people, dtype=bool)
    match[spectator] = True
    out[match] = at(rng.uniform(18.5, 19.95, match.sum()))
    home_again[match] = at(rng.uniform(22.0, 22.7, match.sum()))
    back = np.minimum(back, out - 60)
    fan_mask = np.zeros(people, dtype=bool)
    fan_mask[fan] = True
    leave[fan_mask] = at(rng.uniform(14.0, 16.0, fan_mask.sum()))
    back[fan_mask] = np.minimum(at(rng.uniform(19.0, 22.0, fan_mask.sum())), out[fan_mask] - 60)
    bounds = np.column_stack([np.full(people, day_start), leave, back, out, home_again])
    place = np.column_stack([night_place, day_place, home, evening, night_place])
    place[day_visitor, 2] = np.where(match[day_visitor], day_place[day_visitor], ABSENT)
    place[day_visitor, 3] = np.where(match[day_visitor], stadium, ABSENT)
    cells = np.full(place.shape, ABSENT, dtype=np.int32)
    distance = np.zeros(place.shape)
    for stay in range(place.shape[1]):
        present = np.flatnonzero(place[:, stay] != ABSENT)
        if stay in (2, 3, 4):
            same = place[present, stay] == home[present]
            xy_cells = cells[present, 0]
            reuse = same & (xy_cells != ABSENT)
            cells[present[reuse], stay] = xy_cells[reuse]
            distance[present[reuse], stay] = distance[present[reuse], 0]
            present = present[~reuse]
        x, y = _uniform_in(city, place[present, stay], rng)
        served = city.best_server(x, y, rng)
        cells[present, stay] = served
        antenna = city.cell_xy[np.maximum(served, 0)]
        distance[present, stay] = np.hypot(x - antenna[:, 0], y - antenna[:, 1])
    subscribed = np.where(kind == 3, rng.random(people) < roamer_share, rng.random(people) < market_share)
    order = np.argsort(~subscribed, kind="stable")
    bounds, place, cells, kind = bounds[order], place[order], cells[order], kind[order]
    distance = distance[order]
    subscribers = int(subscribed.sum())
    mcc = np.full(subscribers, 208, dtype=np.int16)
    roamers = np.flatnonzero(kind[:subscribers] == 3)
    mcc[roamers] = rng.choice(np.array([222, 234, 262, 214, 310, 440], dtype=np.int16), size=roamers.size)
    area = np.full(subscribers, HOME_DEPARTEMENT, dtype="<U3")
    elsewhere = np.flatnonzero(kind[:subscribers] != 0)
    others = np.array(["13", "69", "59", "33", "2A", "971", "92", "93", "94", "44"])
    area[elsewhere] = rng.choice(others, size=elsewhere.size)
    area[roamers] = ""
    numbers = rng.choice(10**10, size=subscribers, replace=False)
    ids = np.char.add("20801", np.char.zfill(numbers.astype(str), 10)).astype("<U15")
    return Population(
        day_start=day_start,
        bounds=bounds,
        zone=place.astype(np.int32),
        cell=cells,
        distance=distance,
        subscribers=subscribers,
        ids=ids,
        home_mcc=mcc,
        billing_area=area,
        phase=rng.random(subscribers),
        activity=rng.lognormal(0.0, 0.8, subscribers) * 1.5,
    )


def truth_per_minute(population: Population, zones: int, minutes: int = 1440) -> npt.NDArray[np.float64]:
    """True people per zone per minute since the day's start (zones × minutes, zone `zones` = outside)."""
    counts = np.zeros((zones + 1, minutes + 1))
    ends = np.column_stack([population.bounds[:, 1:], np.full(population.bounds.shape[0], np.inf)])
    for stay in range(population.bounds.shape[1]):
        zone = population.zone[:, stay]
        present = zone != ABSENT
        first = np.ceil((population.bounds[present, stay] - population.day_start) / 60).clip(0, minutes)
        last = np.ceil((ends[present, stay] - population.day_start) / 60).clip(0, minutes)
        np.add.at(counts, (zone[present], first.astype(np.int64)), 1)
        np.add.at(counts, (zone[present], last.astype(np.int64)), -1)
    return np.cumsum(counts, axis=1)[:, :minutes]


def diurnal(hour: F64) -> F64:
    """Relative phone activity by hour of day (local)."""
    return 0.15 + 1.1 * np.exp(-(((hour - 14.0) / 5.0) ** 2)) + 0.4 * np.exp(-(((hour - 20.5) / 2.0) ** 2))


class SignallingGenerator:
    """Makes the subscribers' signalling records slot by slot (raw identifiers), in time order."""

    def __init__(
        self,
        population: Population,
        rng: np.random.Generator,
        periodic_s: float = 3240.0,
        events_per_hour: float = 1.5,
        move_signal_p: float = 0.6,
        utc_offset_h: float = 2.0,
    ) -> None:
        self.population = population
        self.rng = rng
        self.periodic_s = periodic_s
        self.events_per_hour = events_per_hour
        self.move_signal_p = move_signal_p
        self.utc_offset_h = utc_offset_h
        subscribers = population.subscribers
        self.phase = population.phase * periodic_s
        self.phase_order = np.argsort(self.phase)
        self.sorted_phase = self.phase[self.phase_order]
        self.activity_cdf = np.cumsum(population.activity) / population.activity.sum()
        moves = population.bounds[:subscribers, 1:]
        self.move_order = np.argsort(moves, axis=None)
        self.sorted_moves = moves.reshape(-1)[self.move_order]

    def _where(self, who: npt.NDArray[np.int64], ts: F64) -> tuple[I32, F64, npt.NDArray[np.bool_]]:
        bounds = self.population.bounds[who]
        stay = (ts[:, None] >= bounds[:, 1:]).sum(axis=1)
        cell = self.population.cell[who, stay]
        return cell, self.population.distance[who, stay], cell != ABSENT

    def slot(self, start: float, end: float) -> SignallingBatch:
        """The records of [start, end)."""
        population, rng = self.population, self.rng
        low, high = start % self.periodic_s, end % self.periodic_s
        if low < high:
            periodic = self.phase_order[
                np.searchsorted(self.sorted_phase, low) : np.searchsorted(self.sorted_phase, high)
            ]
        else:
            periodic = np.concatenate(
                (self.phase_order[np.searchsorted(self.sorted_phase, low) :],
                 self.phase_order[: np.searchsorted(self.sorted_phase, high)])
            )  # fmt: skip
        periodic_ts = start + (self.phase[periodic] - low) % self.periodic_s
        hour = ((start + end) / 2 / 3600.0 + self.utc_offset_h) % 24
        hourly = population.subscribers * self.events_per_hour * float(diurnal(np.array([hour]))[0])
        expected = hourly * (end - start) / 3600.0
        active = np.searchsorted(self.activity_cdf, rng.random(rng.poisson(expected)))
        active = np.minimum(active, population.subscribers - 1)
        active_ts = start + rng.random(active.shape[0]) * (end - start)
        first, last = np.searchsorted(self.sorted_moves, [start, end])
        flat = self.move_order[first:last]
        mover, stay = flat // 4, flat % 4 + 1
        move_ts = self.sorted_moves[first:last]
        from_absent = population.cell[mover, stay - 1] == ABSENT
        signalled = from_absent | (rng.random(mover.shape[0]) < self.move_signal_p)
        mover, move_ts = mover[signalled], move_ts[signalled]
        who = np.concatenate((periodic, active, mover)).astype(np.int64)
        ts = np.concatenate((periodic_ts, active_ts, move_ts))
        event = np.concatenate(
            (
                np.full(periodic.shape[0], SignallingEvent.PERIODIC_UPDATE, dtype=np.uint8),
                rng.choice(np.array([4, 5, 6, 6, 6], dtype=np.uint8), size=active.shape[0]),
                np.full(mover.shape[0], SignallingEvent.PERIODIC_UPDATE, dtype=np.uint8),
            )
        )
        cell, distance, present = self._where(who, ts)
        order = np.argsort(ts[present], kind="stable")
        keep = np.flatnonzero(present)[order]
        timing_advance = timing_advance_of(distance[keep], rng)
        return SignallingBatch(
            ts=ts[keep],
            subscriber=population.ids[who[keep]],
            cell=cell[keep].astype(np.int32),
            event=event[keep],
            home_mcc=population.home_mcc[who[keep]],
            billing_area=population.billing_area[who[keep]],
            timing_advance=timing_advance,
        )
