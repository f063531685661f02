"""Where the simulated phones stand: spread over their zone, and the streets' phones outside every zone."""

from __future__ import annotations

import numpy as np
import shapely

from beffroi.sim.phones import PhoneSimulation
from beffroi.sim.phones.places import MAX_ZONE_SPOTS, MIN_ZONE_SPOTS, SPOTS_PER_M2, SURROUNDINGS
from beffroi.sim.scenario import Scenario, to_registry


def test_a_zone_s_phones_stand_at_a_spot_per_500_m2_spread_over_it(scenario: Scenario) -> None:
    places = PhoneSimulation(scenario, seed=3).places
    zones = {zone.id: zone for zone in to_registry(scenario)[2]}
    for info in places.info:
        if info.kind == SURROUNDINGS:
            continue
        count = int(places.spot_count[info.index])
        assert count == int(np.clip(round(info.area_m2 * SPOTS_PER_M2), MIN_ZONE_SPOTS, MAX_ZONE_SPOTS)), info.id
        polygon = shapely.Polygon(zones[info.id].polygon[0])
        spots = slice(places.spot_start[info.index], places.spot_start[info.index] + count)
        inside = shapely.contains_xy(polygon, places.spot_lon[spots], places.spot_lat[spots])
        assert inside.all(), info.id
        if count >= 64:  # spread over the zone, not bunched: its spots' box covers most of the zone's
            west, south, east, north = polygon.bounds
            spread = np.ptp(places.spot_lon[spots]) * np.ptp(places.spot_lat[spots]) / ((east - west) * (north - south))
            assert spread > 0.8, info.id


def test_the_streets_phones_stand_outside_every_zone_of_the_site(scenario: Scenario) -> None:
    places = PhoneSimulation(scenario, seed=3).places
    polygons = [shapely.Polygon(zone.polygon[0]) for zone in to_registry(scenario)[2] if zone.polygon]
    for info in places.info:
        if info.kind != SURROUNDINGS:
            continue
        spots = slice(places.spot_start[info.index], places.spot_start[info.index] + places.spot_count[info.index])
        lon, lat = places.spot_lon[spots], places.spot_lat[spots]
        # a spot is jittered within its grid square (a 64th of the box), so it may fall just inside a zone's edge
        inside = np.any([shapely.contains_xy(polygon.buffer(-0.0003), lon, lat) for polygon in polygons], axis=0)
        assert not inside.any(), info.id
