"""The places phones can be in: every zone of a simulated site that holds people, and each site's surroundings
(the streets, homes and offices around it). Per minute: the people there (the crowd model's occupancy; for the
surroundings a background density plus the site's arrivals and departures walking through) and their mix of
categories; per place, spots where its phones stand and the cells that can serve each spot."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.domain.registry import ZoneKind
from beffroi.sim.catalogue import Bounds, Catalogue
from beffroi.sim.crowd import (
    AMBIENT_FRACTION,
    EMPTY,
    GROUP_OF_KIND,
    CrowdModel,
    Place,
    commute_fraction,
    daytime_fraction,
)
from beffroi.sim.local_time import LocalTime
from beffroi.sim.phones.cells import CellArrays, SiteArea
from beffroi.sim.phones.geography import METRES_PER_DEGREE, PROFILES, inside_rings
from beffroi.sim.phones.population import (
    CATEGORIES,
    ROAMER_CARRY,
    ambient_mix,
    day_presence,
    session_mix,
    site_profile,
)

SURROUNDINGS = "surroundings"
SURROUNDINGS_TURNOVER_S = 3 * 3600.0
"""Mean stay of a person around a site before leaving the area by day (people come and go); at night, when people
sleep, four times longer."""
ARRIVAL_WALK_S = 600.0
DEPARTURE_WALK_S = 720.0
"""Time people arriving at / leaving a site spend walking through its surroundings."""
SPOTS_PER_M2 = 1 / 100.0
MIN_ZONE_SPOTS, MAX_ZONE_SPOTS, SURROUNDINGS_SPOTS = 64, 3000, 192
"""A zone's phones stand at random spots, one per 100 m² of it (a spot every 10 m or so), 64 to 3,000 of them: a
crowd spreads over its zone, and the cells serving it see it so. (With 6 to 48 spots whatever the zone's size, the
Olympic Village's 59,000 people on its 30 ha grounds stood at 48 points, 1,200 at each, and which cells served them
was down to where those points fell; with one per 500 m² and at least 16, a stand of 1,000 people still stood at 16
points, 60 at each, and its cells' mix was that of 16 points, not of a stand. The estimator's error on the Paris
2024 scenario's resolvable zones moved by about the spread between two placements of the spots: 8.4 to 8.9 %
on seed 7, 11.2 to 9.8 % on seed 11; one spot per 50 m², at least 100, gave 8.1 and 10.3 %.)"""


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    """A place phones can be in: a zone of a site (its zone id) or a site's surroundings ("SITE:surroundings")."""

    index: int
    id: str
    site_id: str
    kind: str
    """The zone's kind, or "surroundings"."""
    area_m2: float


def _in_box(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], box: Bounds) -> npt.NDArray[np.bool_]:
    return (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])


def _box_area_m2(box: Bounds) -> float:
    width = (box[2] - box[0]) * METRES_PER_DEGREE * math.cos(math.radians((box[1] + box[3]) / 2))
    return width * (box[3] - box[1]) * METRES_PER_DEGREE


def _polygon_spots(
    rings: list[list[tuple[float, float]]], box: Bounds, count: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    lons: list[npt.NDArray[np.float64]] = []
    lats: list[npt.NDArray[np.float64]] = []
    found = 0
    for _ in range(50):
        lon = rng.uniform(box[0], box[2], 4 * count)
        lat = rng.uniform(box[1], box[3], 4 * count)
        keep = inside_rings(lon, lat, rings)
        lons.append(lon[keep])
        lats.append(lat[keep])
        found += int(keep.sum())
        if found >= count:
            break
    lon_all, lat_all = np.concatenate(lons)[:count], np.concatenate(lats)[:count]
    if lon_all.shape[0] == 0:  # degenerate polygon: its box's centre
        return np.array([(box[0] + box[2]) / 2]), np.array([(box[1] + box[3]) / 2])
    return lon_all, lat_all


def _surroundings_spots(
    area: SiteArea, earlier: list[Bounds], zones: list[list[list[tuple[float, float]]]], rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    """Spots in the site's surroundings box outside earlier sites' surroundings and outside the site's zones (given
    as their rings: someone standing in a concourse is in the concourse, not in the streets), and that part's area
    (m²)."""
    box = area.surroundings
    grid = 64
    u = (np.arange(grid) + 0.5) / grid
    mesh_lon, mesh_lat = np.meshgrid(box[0] + u * (box[2] - box[0]), box[1] + u * (box[3] - box[1]))
    glon, glat = mesh_lon.ravel(), mesh_lat.ravel()
    free = np.ones(glon.shape[0], dtype=bool)
    for other in earlier:
        free &= ~_in_box(glon, glat, other)
    for rings in zones:
        free &= ~inside_rings(glon, glat, rings)
    area_m2 = _box_area_m2(box) * float(free.mean())
    cells = np.flatnonzero(free) if free.any() else np.arange(glon.shape[0])
    pick = rng.choice(cells, size=SURROUNDINGS_SPOTS)
    half_lon, half_lat = (box[2] - box[0]) / grid / 2, (box[3] - box[1]) / grid / 2
    lon = glon[pick] + rng.uniform(-half_lon, half_lon, SURROUNDINGS_SPOTS)
    lat = glat[pick] + rng.uniform(-half_lat, half_lat, SURROUNDINGS_SPOTS)
    return lon, lat, area_m2


SHADOWING_DB = 6.0
"""Spread of the received power between phones at the same spot: which covering cell serves is partly chance."""
SHADOWING_DRAWS = 128


def _serving_odds(power: npt.NDArray[np.float32], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Cumulative chance (along each row) that each candidate is the strongest once shadowing is added."""
    spots, width = power.shape
    wins = np.zeros((spots, width))
    for first in range(0, spots, 2048):
        block = power[first : first + 2048]
        noise = rng.standard_normal((block.shape[0], SHADOWING_DRAWS, width), np.float32) * np.float32(SHADOWING_DB)
        best = np.argmax(block[:, None, :] + noise, axis=2)
        wins[first : first + 2048] = np.stack([np.sum(best == k, axis=1) for k in range(width)], axis=1)
    cumulative = np.cumsum(wins, axis=1)
    return (cumulative / cumulative[:, -1:]).astype(np.float32)


class Places:
    """Every place of the simulated sites, the people there per minute, and its spots with their serving cells."""

    def __init__(
        self,
        catalogue: Catalogue,
        crowd: CrowdModel,
        areas: list[SiteArea],
        cells: CellArrays,
        local_time: LocalTime,
        *,
        market_share: float,
        seed: int,
    ) -> None:
        rng = np.random.default_rng(seed)
        self._local = local_time
        self.info: list[PlaceInfo] = []
        self._zones: list[Place] = []
        self._site_crowds: list[Place] = []
        site_of: list[int] = []
        turnover: list[float] = []
        ambient_cap: list[float] = []
        platform_cap: list[float] = []
        mixes: list[npt.NDArray[np.float64]] = []
        foreign: list[float] = []
        surroundings_area: list[float] = []
        spot_lon: list[npt.NDArray[np.float64]] = []
        spot_lat: list[npt.NDArray[np.float64]] = []
        earlier: list[Bounds] = []
        for area, site in zip(areas, catalogue.sites, strict=True):
            mix = session_mix(site_profile(site.kind))
            profile = PROFILES[area.density]
            for zone in site.zones:
                if GROUP_OF_KIND[zone.kind] == EMPTY:
                    continue
                place = crowd.place(site.id, zone.id)
                self.info.append(PlaceInfo(len(self.info), zone.id, site.id, str(zone.kind), zone.area_m2))
                self._zones.append(place)
                site_of.append(area.index)
                turnover.append(place.turnover_s)
                ambient_cap.append(AMBIENT_FRACTION.get(zone.kind, 0.0) * zone.capacity)
                platform_cap.append(float(zone.capacity) if zone.kind is ZoneKind.PLATFORM else 0.0)
                mixes.append(mix)
                foreign.append(profile.foreign_share)
                count = int(np.clip(round(zone.area_m2 * SPOTS_PER_M2), MIN_ZONE_SPOTS, MAX_ZONE_SPOTS))
                lon, lat = _polygon_spots(zone.geometry.coordinates, catalogue.zones[zone.id].bounds, count, rng)
                spot_lon.append(lon)
                spot_lat.append(lat)
            zone_rings = [zone.geometry.coordinates for zone in site.zones]
            lon, lat, area_m2 = _surroundings_spots(area, earlier, zone_rings, rng)
            earlier.append(area.surroundings)
            self.info.append(PlaceInfo(len(self.info), f"{site.id}:{SURROUNDINGS}", site.id, SURROUNDINGS, area_m2))
            self._site_crowds.append(crowd.place(site.id, None))
            surroundings_area.append(area_m2)
            site_of.append(area.index)
            turnover.append(SURROUNDINGS_TURNOVER_S)
            ambient_cap.append(0.0)
            platform_cap.append(0.0)
            mixes.append(mix)
            foreign.append(profile.foreign_share)
            spot_lon.append(lon)
            spot_lat.append(lat)
        self.count = len(self.info)
        self.site = np.array(site_of, dtype=np.int32)
        self.surroundings = np.array([p.kind == SURROUNDINGS for p in self.info])
        self.turnover_s = np.array(turnover)
        self._ambient_cap = np.array(ambient_cap)
        self._platform_cap = np.array(platform_cap)
        self._session_mix = np.array(mixes)
        self._foreign = np.array(foreign)
        self._night = np.array([PROFILES[a.density].night_per_km2 for a in areas])
        self._day = np.array([PROFILES[a.density].day_per_km2 for a in areas])
        self._surroundings_km2 = np.array(surroundings_area) / 1e6
        self.carry = np.array([market_share] * (len(CATEGORIES) - 1) + [ROAMER_CARRY])
        """Share of each category's people whose phone is seen on the operator's network."""
        counts = np.array([lon.shape[0] for lon in spot_lon])
        self.spot_start = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        self.spot_count = counts.astype(np.int64)
        self.spot_lon = np.concatenate(spot_lon)
        self.spot_lat = np.concatenate(spot_lat)
        self.spot_place = np.repeat(np.arange(self.count, dtype=np.int32), counts)
        self.spot_cells, power = self._candidates(cells, counts)
        self.spot_serving = _serving_odds(power, rng)
        """Per spot, the cumulative chance that each of its candidate cells serves a phone there."""

    def _candidates(
        self, cells: CellArrays, counts: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Covering cells of every spot, one site at a time (padded to the widest spot)."""
        parts: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]] = []
        for site in np.unique(self.site):
            spots = np.flatnonzero(self.site[self.spot_place] == site)
            parts.append(cells.candidates(self.spot_lon[spots], self.spot_lat[spots]))
        width = max(part[0].shape[1] for part in parts)
        index = np.full((counts.sum(), width), -1, dtype=np.int32)
        power = np.full((counts.sum(), width), -np.inf, dtype=np.float32)
        row = 0
        for part_index, part_power in parts:
            rows = part_index.shape[0]
            index[row : row + rows, : part_index.shape[1]] = part_index
            power[row : row + rows, : part_index.shape[1]] = part_power
            row += rows
        return index, power

    def turnover(self, t: float) -> npt.NDArray[np.float64]:
        """Mean stay (seconds) of a person in each place at `t`: the zone's, or the surroundings' by the hour."""
        stay = self.turnover_s.copy()
        stay[self.surroundings] = SURROUNDINGS_TURNOVER_S / (0.25 + 0.75 * day_presence(self._local.hour(t)))
        return stay

    def people(self, t: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """People in each place at `t` (all of them, phone or not) and each place's share of each category."""
        hour = self._local.hour(t)
        zones = np.array([place.occupancy(t) for place in self._zones])
        people = np.empty(self.count)
        people[~self.surroundings] = zones
        base = self._ambient_cap * daytime_fraction(hour) + self._platform_cap * commute_fraction(hour)
        with np.errstate(divide="ignore", invalid="ignore"):
            event = np.where(people > 0, np.clip(1 - base / people, 0.0, 1.0), 0.0)
        presence = day_presence(hour)
        ambient = ambient_mix(self._foreign, presence)
        background = self._surroundings_km2 * (self._night + (self._day - self._night) * presence)
        flows = np.array([place.flows(t - 60.0, t) for place in self._site_crowds]).reshape(-1, 2)
        transit = (flows[:, 0] * ARRIVAL_WALK_S + flows[:, 1] * DEPARTURE_WALK_S) / 60.0
        surroundings = background + transit
        people[self.surroundings] = surroundings
        with np.errstate(divide="ignore", invalid="ignore"):
            event[self.surroundings] = np.where(surroundings > 0, transit / surroundings, 0.0)
        share = event[:, None] * self._session_mix + (1 - event)[:, None] * ambient
        return people, share
