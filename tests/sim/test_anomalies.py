"""Labelled series: the simulator's sensors over weeks, anomalies injected where the labels say."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from beffroi.domain.registry import DeviceKind, ZoneKind
from beffroi.errors import ConfigError
from beffroi.sim.anomalies import (
    ANOMALY_KINDS,
    DAY,
    HOUR,
    SEASONAL_BREAK_LAG_S,
    LabelledSeries,
    SeriesSpec,
    corpus,
    generate_series,
    nab_probation_length,
    nab_window_length,
)

BASE = SeriesSpec(
    name="t",
    device_kind=DeviceKind.AIR_QUALITY,
    metric="co2_ppm",
    anomaly_kind="spike",
    zone_kind=ZoneKind.CONCOURSE,
    anomalies=2,
    seed=11,
    interval_s=600.0,
    days=14.0,
)


def make(kind: str, **changes: object) -> LabelledSeries:
    return generate_series(msgspec.structs.replace(BASE, name=f"t-{kind}", anomaly_kind=kind, **changes))


@pytest.fixture(scope="module")
def by_kind() -> dict[str, LabelledSeries]:
    return {kind: make(kind) for kind in ANOMALY_KINDS}


def test_series_follow_the_device_model_at_its_interval(by_kind: dict[str, LabelledSeries]) -> None:
    series = by_kind["spike"]
    steps = np.diff(series.timestamps)
    assert len(series) == pytest.approx(14 * DAY / 600, rel=0.01)
    assert steps.min() >= 600 * 0.97 and steps.max() <= 600 * 1.03
    assert 400 <= np.median(series.clean) <= 500, "outdoor CO2 most of the time"
    assert series.clean.max() > 700, "the crowd of the matches shows"


def test_same_spec_same_series_other_seed_other_series() -> None:
    first, again = make("drift"), make("drift")
    assert np.array_equal(first.values, again.values)
    assert first.anomalies == again.anomalies
    other = make("drift", seed=12)
    assert not np.array_equal(first.values, other.values)


def test_onsets_leave_room_for_learning_and_non_overlapping_nab_windows(by_kind: dict[str, LabelledSeries]) -> None:
    for series in by_kind.values():
        points = len(series)
        half = nab_window_length(points, len(series.onsets)) // 2
        assert len(series.onsets) == 2
        for onset in series.onsets:
            assert series.timestamps[onset] - series.timestamps[0] >= 7 * DAY
            assert onset - half > nab_probation_length(points)
        first, second = series.onsets
        assert second - first > 2 * half


def test_labels_mark_exactly_where_the_values_depart_from_the_clean_series(
    by_kind: dict[str, LabelledSeries],
) -> None:
    for kind, series in by_kind.items():
        departs = np.flatnonzero(series.values != series.clean)
        first = series.anomalies[0]
        assert departs.min() >= first.start_index, kind
        assert series.labels.sum() == sum(a.end_index - a.start_index + 1 for a in series.anomalies)
        assert np.all(series.labels[[a.start_index for a in series.anomalies]] == 1)
        assert series.labels[: first.start_index].sum() == 0


def test_each_kind_does_what_it_says(by_kind: dict[str, LabelledSeries]) -> None:
    spike = by_kind["spike"]
    assert set(np.flatnonzero(spike.values != spike.clean)) == set(np.flatnonzero(spike.labels))
    for anomaly in spike.anomalies:
        span = slice(anomaly.start_index, anomaly.end_index + 1)
        assert np.allclose(spike.values[span] - spike.clean[span], anomaly.magnitude)
        assert 1 <= anomaly.end_index - anomaly.start_index + 1 <= 3

    shift = by_kind["level_shift"]
    a, b = shift.anomalies
    offsets = shift.values - shift.clean
    assert np.allclose(offsets[a.start_index : b.start_index], a.magnitude)
    assert np.allclose(offsets[b.start_index :], a.magnitude + b.magnitude)

    drift = by_kind["drift"]
    ramp = drift.anomalies[0]
    offsets = drift.values - drift.clean
    span = offsets[ramp.start_index : ramp.end_index + 1]
    assert np.all(np.diff(span) * np.sign(ramp.magnitude) >= 0), "a ramp"
    assert 6 * HOUR <= ramp.end_ts - ramp.start_ts <= 24 * HOUR

    stuck = by_kind["stuck"]
    for anomaly in stuck.anomalies:
        span = stuck.values[anomaly.start_index : anomaly.end_index + 1]
        assert np.all(span == stuck.values[anomaly.start_index - 1]) and np.all(span == anomaly.magnitude)
        assert 3 * HOUR - 600 <= anomaly.end_ts - anomaly.start_ts <= 12 * HOUR

    broken = by_kind["seasonal_break"]
    for anomaly in broken.anomalies:
        i = anomaly.start_index + 1
        earlier = int(np.searchsorted(broken.timestamps, broken.timestamps[i] - SEASONAL_BREAK_LAG_S))
        assert broken.values[i] == broken.values[earlier]


def test_the_corpus_splits_hold_every_kind_and_never_share_a_series() -> None:
    tuning, held_out = corpus("tuning"), corpus("held_out")
    assert (len(tuning), len(held_out)) == (15, 20)
    for split in (tuning, held_out):
        assert {spec.anomaly_kind for spec in split} == set(ANOMALY_KINDS)
    assert not {s.name for s in tuning} & {s.name for s in held_out}
    assert not {s.seed for s in tuning} & {s.seed for s in held_out}
    assert not {(s.device_kind, s.metric) for s in tuning} & {(s.device_kind, s.metric) for s in held_out}
    with pytest.raises(ConfigError, match="unknown split"):
        corpus("other")  # type: ignore[arg-type]


def test_bad_specs_are_refused_with_reasons() -> None:
    with pytest.raises(ConfigError, match="is not reported by air_quality"):
        msgspec.structs.replace(BASE, metric="laeq_db")
    with pytest.raises(ConfigError, match="interval_s"):
        msgspec.structs.replace(BASE, interval_s=0.0)
    with pytest.raises(ConfigError, match="do not fit"):
        generate_series(msgspec.structs.replace(BASE, anomalies=10, days=9.0, anomaly_kind="stuck"))


def test_csv_has_timestamp_value_label(tmp_path: Path, by_kind: dict[str, LabelledSeries]) -> None:
    series = by_kind["stuck"]
    path = tmp_path / "series.csv"
    series.write_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,value,label"
    assert len(lines) == len(series) + 1
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    assert np.allclose(rows[:, 0], series.timestamps, atol=1e-3)
    assert np.array_equal(rows[:, 1], series.values)
    assert np.array_equal(rows[:, 2], series.labels)
