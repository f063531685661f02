"""Each kind of source's own figure of a zone, next to the fused one: level sources averaged by their weights;
gate counters (they carry changes), withheld mobile figures and forgotten sources giving none."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.crowd.fusion import FusionZone, SourceKind, ZoneCountObservation, ZoneFlowObservation, mobile_observation
from beffroi.crowd.fusion.source_figures import FigureKeepingFusion, kind_weights

ZONE = FusionZone("stand-a", area_m2=2000.0, capacity=8000)
T0 = 1_722_000_000.0


def video(ts: float, people: float, camera: str) -> ZoneCountObservation:
    return ZoneCountObservation(ZONE.zone_id, f"video:{camera}/z", SourceKind.VIDEO, ts, people, covered_fraction=0.2)


def test_two_cameras_make_one_video_figure_between_theirs_and_the_kinds_weights_add_up() -> None:
    fusion = FigureKeepingFusion([ZONE])
    for step in range(10):
        ts = T0 + 10 * step
        fusion.add(video(ts, 1000.0, "cam-1"))
        fusion.add(video(ts, 1200.0, "cam-2"))
        fusion.add(ZoneCountObservation(ZONE.zone_id, "occupancy:pc", SourceKind.OCCUPANCY, ts, 1500.0))
    figure = fusion.estimate(ZONE.zone_id, T0 + 90)
    assert figure is not None
    figures = fusion.figures.by_kind(figure)
    assert set(figures) == {SourceKind.VIDEO, SourceKind.OCCUPANCY}
    assert 1000.0 < figures[SourceKind.VIDEO].people < 1200.0
    assert figures[SourceKind.VIDEO].ts == T0 + 90
    assert figures[SourceKind.OCCUPANCY].people == 1500.0
    weights = kind_weights(figure)
    assert weights[SourceKind.VIDEO] == pytest.approx(figures[SourceKind.VIDEO].weight)
    assert 0.9 < sum(weights.values()) <= 1.0


def test_counters_and_a_withheld_mobile_slot_say_no_count_of_their_own() -> None:
    fusion = FigureKeepingFusion([ZONE])
    fusion.add(ZoneCountObservation(ZONE.zone_id, "occupancy:pc", SourceKind.OCCUPANCY, T0, 400.0))
    for step in range(1, 7):
        fusion.add(ZoneFlowObservation(ZONE.zone_id, "counter:g", SourceKind.COUNTER, T0 + 10 * step, 30.0, 0.0, 10.0))
    withheld = mobile_observation(
        ZONE.zone_id, "op", T0 - 540, T0 + 60, None, fewer_than_k=True, k=20, market_share=0.4
    )
    assert withheld is not None
    fusion.add(withheld)
    figure = fusion.estimate(ZONE.zone_id, T0 + 60)
    assert figure is not None
    assert SourceKind.COUNTER in kind_weights(figure), "the counters weigh in the figure"
    assert set(fusion.figures.by_kind(figure)) == {SourceKind.OCCUPANCY}, "but tell changes, not a count"


def test_a_source_the_fused_figure_no_longer_names_is_forgotten() -> None:
    fusion = FigureKeepingFusion([ZONE])
    fusion.add(video(T0, 900.0, "cam-1"))
    first = fusion.estimate(ZONE.zone_id, T0)
    assert first is not None and SourceKind.VIDEO in fusion.figures.by_kind(first)
    later = msgspec.structs.replace(first, sources=[])
    assert fusion.figures.by_kind(later) == {}
    assert fusion.figures.by_kind(first) == {}, "its figure went with it"
