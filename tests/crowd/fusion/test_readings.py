"""Readings from the bus as fusion inputs: counters' halves paired, occupancy, turnstiles, cameras scaled by area."""

from __future__ import annotations

import pytest

from beffroi.crowd.fusion import (
    DensityFusion,
    FusionSettings,
    FusionZone,
    ReadingTranslator,
    SourceKind,
    ZoneCountObservation,
    ZoneFlowObservation,
    level_sd,
)
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Zone, ZoneKind

ZONE = Zone("plaza", "t1", "s1", "Plaza", ZoneKind.PLAZA, [[(2.0, 48.0), (2.001, 48.0), (2.0, 48.001)]], 1000.0, 3000)
T0 = 1_722_000_000.0


def reading(device: str, metric: str, value: float, ts: float, zone: str | None = "plaza") -> Reading:
    return Reading("t1", device, metric, value, ts, "s1", zone)


def test_a_counters_two_halves_make_one_flow_over_the_time_since_its_last_report() -> None:
    translator = ReadingTranslator([ZONE])
    assert translator.translate(reading("pc1", "count_in", 12, T0)) == []
    (first,) = translator.translate(reading("pc1", "count_out", 4, T0))
    assert first == ZoneFlowObservation("plaza", "counter:pc1", SourceKind.COUNTER, T0, 12.0, 4.0, 10.0)
    translator.translate(reading("pc1", "count_out", 3, T0 + 15))
    (second,) = translator.translate(reading("pc1", "count_in", 7, T0 + 15))
    assert (second.entered, second.left, second.interval_s) == (7.0, 3.0, 15.0)


def test_a_half_without_its_pair_is_sent_when_the_next_report_comes() -> None:
    translator = ReadingTranslator([ZONE])
    translator.translate(reading("pc1", "count_in", 12, T0))
    (lonely,) = translator.translate(reading("pc1", "count_in", 5, T0 + 10))
    assert (lonely.ts, lonely.entered, lonely.left) == (T0, 12.0, 0.0)
    (flushed,) = translator.flush()
    assert (flushed.ts, flushed.entered) == (T0 + 10, 5.0)


def test_occupancy_and_turnstiles() -> None:
    translator = ReadingTranslator([ZONE])
    assert translator.translate(reading("pc1", "occupancy", 812, T0)) == [
        ZoneCountObservation("plaza", "occupancy:pc1", SourceKind.OCCUPANCY, T0, 812.0)
    ]
    assert translator.translate(reading("pc1", "occupancy_ratio", 0.27, T0)) == []
    (passages,) = translator.translate(reading("ts1", "passages", 9, T0))
    assert passages == ZoneFlowObservation("plaza", "turnstile:ts1", SourceKind.TURNSTILE, T0, 9.0, 0.0, 10.0)


def test_a_camera_seeing_part_of_a_zone_is_scaled_to_the_whole_zone() -> None:
    translator = ReadingTranslator([ZONE])
    assert translator.translate(reading("cam1", "zone_people.front", 50, T0)) == []
    (obs,) = translator.translate(reading("cam1", "zone_density.front", 2.0, T0))
    assert isinstance(obs, ZoneCountObservation)
    assert obs.people == pytest.approx(2.0 * 1000)  # density × the zone's area, not the 50 seen
    assert obs.covered_fraction == pytest.approx(25 / 1000)  # 50 people at 2 p/m²: the camera sees 25 m²
    assert obs.source == "video:cam1/front"
    # the covered area is remembered for frames where nobody is seen
    (empty,) = translator.translate(reading("cam1", "zone_density.front", 0.0, T0 + 1))
    assert isinstance(empty, ZoneCountObservation)
    assert (empty.people, empty.covered_fraction) == (0.0, pytest.approx(0.025))
    # the smaller the part seen, the larger the error
    settings = FusionSettings()
    assert level_sd(settings, SourceKind.VIDEO, 2000, 0.025) > 2 * level_sd(settings, SourceKind.VIDEO, 2000, 0.5)


def test_a_partial_camera_alone_converges_on_the_zones_count() -> None:
    translator = ReadingTranslator([ZONE])
    fusion = DensityFusion([ZONE])
    for k in range(60):
        for r in (
            reading("cam1", "zone_people.front", 30, T0 + 30 * k),
            reading("cam1", "zone_density.front", 1.5, T0 + 30 * k),
        ):
            fusion.add_all(translator.translate(r))
    estimate = fusion.estimate("plaza", T0 + 1800)
    assert estimate is not None
    assert estimate.people == pytest.approx(1500, rel=0.02)
    assert estimate.density == pytest.approx(1.5, rel=0.02)


def test_readings_of_other_zones_metrics_or_bad_values_give_nothing() -> None:
    translator = ReadingTranslator([FusionZone("plaza", 1000.0, 3000)])
    assert translator.translate(reading("pc1", "occupancy", 10, T0, zone="elsewhere")) == []
    assert translator.translate(reading("pc1", "occupancy", 10, T0, zone=None)) == []
    assert translator.translate(reading("pc1", "temperature_c", 21, T0)) == []
    assert translator.translate(reading("pc1", "occupancy", float("nan"), T0)) == []
