"""Absence detector: silence beyond factor × interval, return on report, start-up grace, scale."""

from __future__ import annotations

import time

import pytest

from beffroi.domain.alarms import AlarmKey
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.detectors.absence import AbsenceDetector
from beffroi.errors import ConfigError
from tests.engine.builders import T0, device, event, open_alarm, reading


def detector_for(*devices: Device, factor: float = 3.0) -> AbsenceDetector:
    """An absence detector that knows `devices`."""
    detector = AbsenceDetector(factor=factor)
    detector.on_devices({d.id: d for d in devices})
    return detector


def test_silent_device_goes_offline_after_factor_times_interval_and_back_on_report() -> None:
    dev = device("cam-1", DeviceKind.CAMERA)  # interval 30 s -> window 90 s
    detector = detector_for(dev)
    assert detector.on_tick(T0) == ()
    assert detector.on_reading(reading(dev, "fps", 25.0, T0 + 10), dev) == ()
    assert detector.on_tick(T0 + 99.9) == ()
    (offline,) = detector.on_tick(T0 + 100)
    assert offline.active
    assert offline.ts == T0 + 100
    assert offline.value == pytest.approx(90.0)
    assert offline.key == AlarmKey("t1", "cam-1", "device_offline", "site-a", "zone-1")
    assert detector.on_tick(T0 + 200) == ()
    assert detector.offline_devices == {"cam-1"}
    (online,) = detector.on_reading(reading(dev, "fps", 25.0, T0 + 205), dev)
    assert not online.active
    assert online.ts == T0 + 205
    assert detector.on_tick(T0 + 290) == ()
    (again,) = detector.on_tick(T0 + 295)
    assert again.active


def test_regular_reports_keep_a_device_online() -> None:
    dev = device("pc-1", DeviceKind.PEOPLE_COUNTER)  # interval 10 s
    detector = detector_for(dev)
    detector.on_tick(T0)
    for second in range(0, 600, 10):
        detector.on_reading(reading(dev, "occupancy", 10.0, T0 + second), dev)
        assert detector.on_tick(T0 + second + 5) == ()


def test_devices_never_seen_get_one_full_window_from_the_first_tick() -> None:
    devices = [device(f"smk-{i}", interval_s=60.0) for i in range(50)]
    detector = detector_for(*devices)
    assert detector.on_tick(T0 + 1_000_000) == ()  # the first tick only starts the clocks
    assert detector.on_tick(T0 + 1_000_000 + 179) == ()
    raised = detector.on_tick(T0 + 1_000_000 + 180)
    assert len(raised) == 50
    assert all(c.active for c in raised)


def test_a_device_added_later_gets_its_window_from_the_next_tick() -> None:
    first = device("smk-1", interval_s=60.0)
    detector = detector_for(first)
    detector.on_tick(T0)
    late = device("smk-2", interval_s=60.0)
    detector.on_devices({first.id: first, late.id: late})
    detector.on_reading(reading(first, "temperature_c", 20.0, T0 + 150), first)
    detector.on_tick(T0 + 150)
    raised = detector.on_tick(T0 + 329)
    assert [c.key.source for c in raised] == []
    raised = detector.on_tick(T0 + 330)
    assert sorted(c.key.source for c in raised) == ["smk-1", "smk-2"]


def test_events_of_a_device_count_as_signs_of_life() -> None:
    dev = device("door-1", DeviceKind.ACCESS_CONTROL)  # interval 30 s -> window 90 s
    detector = detector_for(dev)
    detector.on_tick(T0)
    assert detector.on_event(event("door-1", "door_forced", T0 + 80), dev) == ()
    assert detector.on_event(event("elsewhere", "door_forced", T0 + 80), None) == ()
    assert detector.on_tick(T0 + 169) == ()
    assert len(detector.on_tick(T0 + 170)) == 1


def test_old_or_duplicate_reports_do_not_extend_the_window() -> None:
    dev = device("cam-1", DeviceKind.CAMERA)
    detector = detector_for(dev)
    detector.on_tick(T0)
    detector.on_reading(reading(dev, "fps", 25.0, T0 + 50), dev)
    detector.on_reading(reading(dev, "fps", 25.0, T0 + 20), dev)
    detector.on_reading(reading(dev, "fps", 25.0, float("nan")), dev)
    assert len(detector.on_tick(T0 + 140)) == 1


def test_interval_change_moves_the_deadline() -> None:
    dev = device("cam-1", DeviceKind.CAMERA, interval_s=30.0)
    detector = detector_for(dev)
    detector.on_tick(T0)
    faster = device("cam-1", DeviceKind.CAMERA, interval_s=5.0)
    detector.on_devices({faster.id: faster})
    assert len(detector.on_tick(T0 + 15)) == 1


def test_removed_device_is_forgotten() -> None:
    dev = device("cam-1", DeviceKind.CAMERA)
    detector = detector_for(dev)
    detector.on_tick(T0)
    detector.on_devices({})
    assert detector.on_tick(T0 + 10_000) == ()


def test_device_removed_while_offline_and_back_returns_to_normal_on_report() -> None:
    dev = device("cam-1", DeviceKind.CAMERA)
    detector = detector_for(dev)
    detector.on_tick(T0)
    (offline,) = detector.on_tick(T0 + 90)
    detector.on_devices({})
    assert detector.offline_devices == set()
    detector.on_devices({dev.id: dev})
    (back,) = detector.on_reading(reading(dev, "fps", 25.0, T0 + 100), dev)
    assert (back.active, back.key) == (False, offline.key)


def test_device_without_a_usable_interval_is_never_offline() -> None:
    dev = device("cam-1", DeviceKind.CAMERA, interval_s=0.0)
    detector = detector_for(dev)
    detector.on_tick(T0)
    detector.on_reading(reading(dev, "fps", 25.0, T0 + 1), dev)
    assert detector.on_tick(T0 + 1e6) == ()


def test_restored_offline_alarm_returns_to_normal_on_report_and_is_not_raised_twice() -> None:
    dev = device("cam-1", DeviceKind.CAMERA)
    silent = device("cam-2", DeviceKind.CAMERA)
    detector = detector_for(dev, silent)
    detector.on_restore(
        [
            open_alarm("a-1", AlarmKey("t1", "cam-1", "device_offline", "site-a", "zone-1")),
            open_alarm("a-2", AlarmKey("t1", "cam-2", "device_offline", "site-a", "zone-1")),
        ]
    )
    detector.on_tick(T0)
    (back,) = detector.on_reading(reading(dev, "fps", 25.0, T0 + 1), dev)
    assert not back.active
    assert back.key.source == "cam-1"
    assert detector.on_tick(T0 + 90.5) == ()  # cam-2's alarm is still open and active: no second raise


def test_non_finite_tick_is_ignored() -> None:
    detector = detector_for(device("cam-1", DeviceKind.CAMERA))
    assert detector.on_tick(float("nan")) == ()
    assert detector.on_tick(float("inf")) == ()


@pytest.mark.parametrize("factor", [1.0, 0.5, float("nan"), float("inf")])
def test_bad_factor_is_refused(factor: float) -> None:
    with pytest.raises(ConfigError, match="absence_factor"):
        AbsenceDetector(factor=factor)


def test_tick_cost_with_100k_devices_stays_small() -> None:
    """100k devices reporting on their interval: ticks pop only what is due (loose bound, for slow CI)."""
    kinds = [DeviceKind.PEOPLE_COUNTER, DeviceKind.CAMERA, DeviceKind.SMOKE_HEAT, DeviceKind.AIR_QUALITY]
    devices = [device(f"d{i}", kinds[i % 4]) for i in range(100_000)]
    detector = detector_for(*devices)
    start = time.perf_counter()
    detector.on_tick(T0)
    first_tick = time.perf_counter() - start
    for dev in devices:  # every device reported just now
        detector.on_reading(reading(dev, dev.metrics[0], 1.0, T0 + 1), dev)
    start = time.perf_counter()
    for step in range(1, 21):  # nothing is due for 20 s: each tick must cost next to nothing
        assert detector.on_tick(T0 + step) == ()
    quiet_ticks = time.perf_counter() - start
    silent_tick_start = time.perf_counter()
    raised = detector.on_tick(T0 + 1 + 30)  # the people counters' 30 s window has passed
    due_tick = time.perf_counter() - silent_tick_start
    assert len(raised) == 25_000
    assert first_tick < 2.0
    assert quiet_ticks / 20 < 0.005
    assert due_tick < 2.0
