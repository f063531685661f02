"""Levels of service per zone: standing and moving thresholds, hysteresis, dwell, flow levels, events."""

from __future__ import annotations

import math

import msgspec
import pytest

from beffroi.crowd.fusion import (
    DensityFusion,
    FusedZoneDensity,
    FusionZone,
    SourceKind,
    SourceWeight,
    ZoneCountObservation,
    ZoneFlowObservation,
)
from beffroi.crowd.levels import (
    EVENT_TYPE,
    MOVING,
    STANDING,
    CrowdLevel,
    LevelChange,
    LevelThresholds,
    Posture,
    ServiceLevels,
    ZoneLevelConfig,
    level_config_for,
)
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.errors import ConfigError

AREA = 1000.0
T0 = 1_722_000_000.0
SOURCES = [
    SourceWeight("counter:g1", SourceKind.COUNTER, 0.7, T0),
    SourceWeight("video:cam1/z", SourceKind.VIDEO, 0.3, T0),
]


def fused(
    ts: float, density: float, zone: str = "z", sd: float = 0.1, flow_per_min: float | None = None
) -> FusedZoneDensity:
    return FusedZoneDensity(
        zone_id=zone,
        ts=ts,
        people=density * AREA,
        people_sd=sd * AREA,
        density=density,
        density_sd=sd,
        area_m2=AREA,
        net_rate_per_min=0.0,
        flow_per_min=flow_per_min,
        counter_drift=None,
        newest_observation_ts=ts,
        sources=SOURCES,
    )


def levels(posture: Posture = Posture.STANDING, **kwargs: object) -> ServiceLevels:
    thresholds = STANDING if posture is Posture.STANDING else MOVING
    return ServiceLevels([ZoneLevelConfig("z", posture, thresholds, **kwargs)])  # type: ignore[arg-type]


def run(service: ServiceLevels, densities: list[float], step: float = 10.0, **kwargs: object) -> list[LevelChange]:
    return service.update_all(fused(T0 + step * i, d, **kwargs) for i, d in enumerate(densities))  # type: ignore[arg-type]


def test_standing_and_moving_crowds_have_their_own_thresholds() -> None:
    for density, standing, moving in (
        (1.5, "normal", "normal"),
        (2.5, "normal", "amber"),
        (4.2, "amber", "red"),
        (5.0, "red", "red"),
    ):
        for posture, expected in ((Posture.STANDING, standing), (Posture.MOVING, moving)):
            service = levels(posture)
            run(service, [density] * 10)
            assert service.level("z") == CrowdLevel(expected), (density, posture)


def test_defaults_by_zone_kind() -> None:
    def zone(kind: ZoneKind) -> Zone:
        return Zone("z", "t", "s", "Z", kind, [], 100.0, 200)

    stand = level_config_for(zone(ZoneKind.STAND))
    assert stand is not None and (stand.posture, stand.thresholds) == (Posture.STANDING, STANDING)
    for kind in (ZoneKind.FAN_ZONE, ZoneKind.PLAZA):
        config = level_config_for(zone(kind))
        assert config is not None and config.posture is Posture.STANDING
    for kind in (ZoneKind.CONCOURSE, ZoneKind.GATE, ZoneKind.PLATFORM):
        config = level_config_for(zone(kind))
        assert config is not None and (config.posture, config.thresholds.amber, config.thresholds.red) == (
            Posture.MOVING,
            2.0,
            4.0,
        )
    assert level_config_for(zone(ZoneKind.TECHNICAL)) is None
    custom = level_config_for(zone(ZoneKind.GATE), posture=Posture.STANDING, width_m=6.0)
    assert custom is not None and custom.thresholds == STANDING and custom.width_m == 6.0


def test_no_flapping_around_a_threshold() -> None:
    service = levels()
    wobble = [3.5 + 0.15 * math.sin(i) for i in range(360)]  # an hour between 3.35 and 3.65 p/m²
    changes = run(service, wobble)
    assert [(c.previous, c.level) for c in changes] == [(CrowdLevel.NORMAL, CrowdLevel.AMBER)]
    assert service.level("z") is CrowdLevel.AMBER


def test_a_level_is_entered_after_its_condition_held_and_left_below_its_clear_density() -> None:
    service = levels()
    changes = run(service, [3.0] * 6 + [3.6] * 60 + [3.3] * 30 + [3.1] * 30)
    assert [(c.level, c.ts - T0) for c in changes] == [
        (CrowdLevel.AMBER, 90.0),  # entered at 60 s, held 30 s
        (CrowdLevel.NORMAL, 960 + 120.0),  # 3.3 is still amber; below 3.2 from 960 s, for 120 s
    ]
    raised, cleared = changes
    assert (raised.cause, raised.threshold) == ("density", 3.5)
    assert (cleared.cause, cleared.threshold) == ("cleared", 3.2)


def test_a_short_spike_raises_nothing() -> None:
    service = levels()
    assert run(service, [3.0] * 5 + [5.2, 5.2] + [3.0] * 20) == []


def test_a_level_is_held_its_minimum_dwell() -> None:
    service = levels(min_dwell_s=600.0)
    changes = run(service, [4.0] * 10 + [2.0] * 100)
    assert [c.level for c in changes] == [CrowdLevel.AMBER, CrowdLevel.NORMAL]
    assert changes[1].ts - changes[0].ts == pytest.approx(600.0)


def test_red_steps_down_through_amber() -> None:
    service = levels()
    changes = run(service, [5.0] * 40 + [4.0] * 60 + [2.0] * 60)
    assert [(c.previous, c.level) for c in changes] == [
        (CrowdLevel.NORMAL, CrowdLevel.RED),
        (CrowdLevel.RED, CrowdLevel.AMBER),
        (CrowdLevel.AMBER, CrowdLevel.NORMAL),
    ]
    fall = run(levels(), [5.0] * 40 + [1.0] * 60)
    assert [(c.previous, c.level) for c in fall][-1] == (CrowdLevel.RED, CrowdLevel.NORMAL)


def test_uncertainty_can_raise_earlier() -> None:
    cautious = levels(sigmas=1.0)
    changes = run(cautious, [3.3] * 10, sd=0.3)
    assert [c.level for c in changes] == [CrowdLevel.AMBER]
    assert run(levels(), [3.3] * 10, sd=0.3) == []


def test_a_congested_walkway_raises_by_its_flow_per_metre() -> None:
    service = levels(Posture.MOVING, width_m=4.0)
    changes = run(service, [0.5] * 10, flow_per_min=4.0 * 70)  # 70 p/m/min: Fruin E
    assert [(c.level, c.cause, c.fruin_level) for c in changes] == [(CrowdLevel.AMBER, "flow", "E")]
    assert changes[0].flow_per_m_min == pytest.approx(70.0)
    changes = run(service, [2.5] * 10, flow_per_min=4.0 * 90)  # F and amber density
    assert [(c.level, c.cause, c.fruin_level) for c in changes] == [(CrowdLevel.RED, "flow", "F")]
    assert service.fruin_level("z") == "F"
    no_width = levels(Posture.MOVING)
    assert run(no_width, [0.5] * 10, flow_per_min=400.0) == []
    assert no_width.fruin_level("z") is None


def test_changes_become_crowd_level_events() -> None:
    service = levels(Posture.MOVING, width_m=5.0)
    (change,) = run(service, [2.4] * 5, sd=0.2, flow_per_min=150.0)
    event = change.to_event("t1", "s1")
    assert (event.type, event.source, event.tenant_id, event.site_id, event.zone_id) == (
        EVENT_TYPE,
        "crowd",
        "t1",
        "s1",
        "z",
    )
    assert event.ts == change.ts
    assert event.attributes["level"] == "amber"
    assert event.attributes["previous_level"] == "normal"
    assert event.attributes["density"] == 2.4
    assert event.attributes["uncertainty"] == 0.2
    assert event.attributes["sources"] == "counter:g1=0.70,video:cam1/z=0.30"
    assert event.attributes["fruin_level"] == "B"  # 30 p/m/min
    assert event.attributes["posture"] == "moving"
    assert event.confidence == pytest.approx(0.977, abs=0.001)  # 2 sd above the 2.0 p/m² threshold
    assert event.event_id == change.to_event("t1", "s1").event_id


def test_unknown_zones_are_ignored() -> None:
    service = levels()
    assert service.update(fused(T0, 6.0, zone="elsewhere")) is None
    assert service.level("elsewhere") is None


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigError, match="red"):
        LevelThresholds(amber=4.0, red=3.0, amber_clear=3.5, red_clear=2.5)
    with pytest.raises(ConfigError, match="amber_clear"):
        LevelThresholds(amber=3.5, red=4.7, amber_clear=3.6, red_clear=4.4)
    with pytest.raises(ConfigError, match=r"zones\.z\.levels.*width_m"):
        ZoneLevelConfig("z", Posture.MOVING, MOVING, width_m=0.0)
    with pytest.raises(ConfigError, match="fruin_red"):
        ZoneLevelConfig("z", Posture.MOVING, MOVING, fruin_amber="E", fruin_red="C")


def test_a_filling_concourse_seen_by_its_counters_turns_amber() -> None:
    fusion = DensityFusion([FusionZone("hall", area_m2=500.0, capacity=1500)])
    service = ServiceLevels([ZoneLevelConfig("hall", Posture.MOVING, MOVING, width_m=10.0)])
    fusion.add(ZoneCountObservation("hall", "occupancy:pc1", SourceKind.OCCUPANCY, T0, 200.0))
    changes = []
    for k in range(1, 121):  # 20 minutes, +12 people every 10 s: 200 → 1640 people, 0.4 → 3.3 p/m²
        ts = T0 + 10 * k
        fusion.add(ZoneFlowObservation("hall", "counter:pc1", SourceKind.COUNTER, ts, 30.0, 18.0, 10.0))
        estimate = fusion.estimate("hall", ts)
        assert estimate is not None
        change = service.update(estimate)
        if change is not None:
            changes.append(change)
    (amber,) = changes
    assert amber.level is CrowdLevel.AMBER and amber.cause == "density"
    assert amber.ts - T0 == pytest.approx(((1000 - 200) / 12 * 10) + 30, abs=40)  # 2 p/m² = 1000 people, + 30 s
    assert amber.sources[0].name == "counter:pc1"
    assert amber.fruin_level == "B"  # 288 people a minute through 10 m: 28.8 p/m/min


def test_a_change_crosses_the_bus_as_a_typed_message() -> None:
    (change,) = run(levels(), [5.0] * 5)
    assert msgspec.json.decode(msgspec.json.encode(change), type=LevelChange) == change
