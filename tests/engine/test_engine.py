"""The engine end to end: readings, events and ticks in; alarm changes out."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from beffroi.config import BeffroiConfig
from beffroi.config_engine import DEFAULT_EVENT_RULES, DEFAULT_THRESHOLD_RULES
from beffroi.domain.alarms import AlarmState
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind, Zone
from beffroi.engine import AlarmManager, Engine, EventRule, ThresholdRule, build_detectors
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors import NO_CONDITIONS, Detector
from beffroi.errors import ConfigError
from beffroi.workers.engine import (
    battery_rule_from,
    event_rules_from,
    rate_of_change_rules_from,
    stuck_value_rules_from,
    tamper_rule_from,
    threshold_rules_from,
    window_count_rules_from,
)
from tests.engine.builders import (
    FORBIDDEN_ENTER,
    INSIDE,
    OUTSIDE,
    T0,
    ZONES,
    device,
    event,
    id_source,
    located,
    reading,
)

SMOKE = "smoke_obscuration_pct_m"


def registry() -> list[Device]:
    """A few devices of a venue."""
    return [
        device("smk-1", DeviceKind.SMOKE_HEAT),
        device("smk-2", DeviceKind.SMOKE_HEAT),
        device("pc-1", DeviceKind.PEOPLE_COUNTER, zone_id="gate-a"),
        device("door-1", DeviceKind.ACCESS_CONTROL),
        device("pir-1", DeviceKind.INTRUSION_PIR),
        device("other-tenant-cam", DeviceKind.CAMERA, tenant_id="t2"),
    ]


def new_engine(devices: Sequence[Device] | None = None, manager: AlarmManager | None = None) -> Engine:
    """An engine with the default rules of beffroi.config, converted as the worker does."""
    detectors = build_detectors(
        [ThresholdRule(**r.model_dump()) for r in DEFAULT_THRESHOLD_RULES],
        [EventRule(**r.model_dump()) for r in DEFAULT_EVENT_RULES],
        absence_factor=3.0,
    )
    return Engine(
        registry() if devices is None else devices,
        detectors,
        manager if manager is not None else AlarmManager(id_source()),
    )


def normal_batch(ts: float) -> list[Reading]:
    """One quiet report of every device."""
    devices = {d.id: d for d in registry()}
    return [
        reading(devices["smk-1"], SMOKE, 0.3, ts),
        reading(devices["smk-1"], "temperature_c", 22.0, ts),
        reading(devices["smk-2"], SMOKE, 0.2, ts),
        reading(devices["pc-1"], "occupancy_ratio", 0.4, ts),
        reading(devices["pir-1"], "motion", 0.0, ts),
        reading(devices["pir-1"], "battery_pct", 80.0, ts),
    ]


def test_smoke_spike_gives_exactly_one_raised_change() -> None:
    engine = new_engine()
    engine.tick(T0)
    assert engine.process_readings(normal_batch(T0)) == []
    smk = registry()[0]
    spike = [reading(smk, SMOKE, 7.5, T0 + 5), reading(smk, SMOKE, 9.0, T0 + 6), reading(smk, SMOKE, 8.0, T0 + 7)]
    changes = engine.process_readings(spike)
    assert [c.change for c in changes] == [AlarmChangeKind.RAISED]
    alarm = changes[0].alarm
    assert (alarm.key.source, alarm.key.type, alarm.priority, alarm.raised_at, alarm.value) == (
        "smk-1",
        "fire_alarm",
        1,
        T0 + 5,
        7.5,
    )
    assert engine.process_readings(spike) == []  # redelivered batch
    (rtn,) = engine.process_readings([reading(smk, SMOKE, 0.5, T0 + 20)])
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL
    assert rtn.alarm.state is AlarmState.RTN_UNACKNOWLEDGED
    counters = engine.counters()
    assert counters["readings_evaluated"] == 6 + 3 + 3 + 1
    assert counters["changes"] == 2
    assert counters["conditions"] == 2


def test_unknown_devices_and_other_tenants_readings_are_skipped_and_counted() -> None:
    engine = new_engine()
    ghost = device("ghost", DeviceKind.SMOKE_HEAT)
    smk_wrong_tenant = device("smk-1", DeviceKind.SMOKE_HEAT, tenant_id="t2")
    changes = engine.process_readings([reading(ghost, SMOKE, 50.0, T0), reading(smk_wrong_tenant, SMOKE, 50.0, T0)])
    assert changes == []
    assert engine.counters()["readings_skipped"] == 2
    assert engine.counters()["readings_evaluated"] == 0


def test_registry_update_makes_a_new_device_count() -> None:
    engine = new_engine()
    newcomer = device("smk-9", DeviceKind.SMOKE_HEAT)
    assert engine.process_readings([reading(newcomer, SMOKE, 50.0, T0)]) == []
    engine.update_devices([*registry(), newcomer])
    (raised,) = engine.process_readings([reading(newcomer, SMOKE, 50.0, T0 + 1)])
    assert raised.alarm.key.source == "smk-9"


def test_two_rules_on_one_key_keep_it_active_until_both_are_normal() -> None:
    engine = new_engine()
    smk = registry()[0]
    changes = engine.process_readings(
        [
            reading(smk, SMOKE, 6.0, T0),
            reading(smk, "temperature_c", 70.0, T0),
            reading(smk, "temperature_c", 72.0, T0 + 10),  # heat rule (for_s=10) becomes active too
            reading(smk, SMOKE, 0.5, T0 + 11),  # smoke clears, heat still active: no return to normal
        ]
    )
    assert [c.change for c in changes] == [AlarmChangeKind.RAISED]
    (rtn,) = engine.process_readings([reading(smk, "temperature_c", 30.0, T0 + 20)])
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL


def test_event_alarm_lifecycle_with_automatic_return_to_normal() -> None:
    engine = new_engine()
    engine.tick(T0)
    (raised,) = engine.process_event(event("door-1", "door_forced", T0 + 1, event_id="e-1"))
    assert raised.alarm.key.site_id == "site-a"
    assert engine.process_event(event("door-1", "door_forced", T0 + 1, event_id="e-1")) == []  # redelivery
    manager = engine.alarm_manager
    ack, audit = manager.acknowledge("t1", raised.alarm.id, "op-anne", T0 + 10)
    assert ack.alarm.state is AlarmState.ACKNOWLEDGED
    assert audit.actor == "op-anne"
    engine.process_readings(normal_batch(T0 + 55))  # keep every device reporting
    assert engine.tick(T0 + 60) == []
    (rtn,) = engine.tick(T0 + 61)
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL
    assert rtn.alarm.state is AlarmState.CLEARED
    assert manager.open_alarms() == []
    assert engine.counters()["events_evaluated"] == 2


def test_event_of_another_tenant_gets_no_device_place() -> None:
    engine = new_engine()
    (raised,) = engine.process_event(event("door-1", "door_forced", T0, tenant_id="t2"))
    assert raised.alarm.key.tenant_id == "t2"
    assert raised.alarm.key.site_id is None


def test_silent_device_raises_offline_through_ticks() -> None:
    engine = new_engine([device("pc-1", DeviceKind.PEOPLE_COUNTER)])  # interval 10 s, window 30 s
    assert engine.tick(T0) == []
    (offline,) = engine.tick(T0 + 30)
    assert offline.alarm.key.type == "device_offline"
    assert offline.change is AlarmChangeKind.RAISED
    pc = device("pc-1", DeviceKind.PEOPLE_COUNTER)
    (back,) = engine.process_readings([reading(pc, "occupancy", 1.0, T0 + 31)])
    assert back.change is AlarmChangeKind.RETURNED_TO_NORMAL


def test_tick_expires_shelves() -> None:
    engine = new_engine()
    smk = registry()[0]
    (raised,) = engine.process_readings([reading(smk, SMOKE, 6.0, T0)])
    engine.alarm_manager.shelve("t1", raised.alarm.id, "op", T0 + 1, "detector being cleaned", 30)
    expired = [c for c in engine.tick(T0 + 31) if c.change is AlarmChangeKind.UNSHELVED]
    assert [c.alarm.id for c in expired] == [raised.alarm.id]
    assert engine.counters()["changes"] == 2


def test_restart_restores_de_duplication_and_lets_conditions_return_to_normal() -> None:
    before = new_engine()
    smk, pc = registry()[0], registry()[2]
    before.process_readings([reading(smk, SMOKE, 6.0, T0)])
    before.process_event(event("door-1", "door_forced", T0))
    before.tick(T0)
    before.tick(T0 + 30)  # pc-1 and the others never reported: only their window starts at the first tick
    offline = [a for a in before.alarm_manager.open_alarms() if a.key.type == "device_offline"]
    assert [a.key.source for a in offline] == ["pc-1"]
    stored = before.alarm_manager.open_alarms()

    after = new_engine(manager=AlarmManager(id_source("run2")))
    assert after.restore(stored) == []
    assert after.process_readings([reading(smk, SMOKE, 7.0, T0 + 40)]) == []  # still the same open alarm
    assert after.process_event(event("door-1", "door_forced", T0 + 41)) == []
    (pc_back,) = after.process_readings([reading(pc, "occupancy", 3.0, T0 + 42)])
    assert (pc_back.alarm.key.type, pc_back.change) == ("device_offline", AlarmChangeKind.RETURNED_TO_NORMAL)
    (smoke_back,) = after.process_readings([reading(smk, SMOKE, 0.1, T0 + 50)])
    assert smoke_back.alarm.key.type == "fire_alarm"
    after.process_readings([reading(pc, "occupancy", 3.0, T0 + 100)])
    assert after.tick(T0 + 100) == []  # the door's hold runs from the last event (T0 + 41) for 60 s
    (door_back,) = after.tick(T0 + 101)
    assert (door_back.alarm.key.type, door_back.change) == ("door_forced", AlarmChangeKind.RETURNED_TO_NORMAL)
    assert all(not a.condition_active for a in after.alarm_manager.open_alarms())


def test_engine_built_over_a_loaded_manager_informs_its_detectors() -> None:
    before = new_engine()
    smk = registry()[0]
    before.process_readings([reading(smk, SMOKE, 6.0, T0)])
    manager = AlarmManager(id_source("run2"))
    manager.load(before.alarm_manager.open_alarms())
    after = new_engine(manager=manager)
    (rtn,) = after.process_readings([reading(smk, SMOKE, 0.1, T0 + 5)])
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL


def test_loading_straight_into_the_manager_informs_the_detectors() -> None:
    """The worker's order: engine with no devices, then the registry, then the store's open alarms."""
    before = new_engine()
    smk = registry()[0]
    before.process_readings([reading(smk, SMOKE, 6.0, T0)])
    manager = AlarmManager(id_source("run2"))
    after = new_engine([], manager)
    after.update_devices(registry())
    assert manager.load(before.alarm_manager.open_alarms()) == []
    (rtn,) = after.process_readings([reading(smk, SMOKE, 0.1, T0 + 5)])
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL


class _Exploding(Detector):
    """A faulty plug-in: raises on every reading of the metric "boom"."""

    name = "exploding"

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        if reading.metric == "boom":
            raise RuntimeError("bug in a plug-in")
        return NO_CONDITIONS


def test_a_failing_detector_is_counted_and_logged_once_and_others_carry_on(caplog: pytest.LogCaptureFixture) -> None:
    smk = registry()[0]
    detectors = [_Exploding(), *new_engine().detectors]
    engine = Engine(registry(), detectors, AlarmManager(id_source()))
    with caplog.at_level(logging.ERROR, logger="beffroi.engine.engine"):
        changes = engine.process_readings(
            [reading(smk, "boom", 1.0, T0), reading(smk, "boom", 1.0, T0 + 1), reading(smk, SMOKE, 9.0, T0 + 2)]
        )
    assert [c.change for c in changes] == [AlarmChangeKind.RAISED]
    assert engine.counters()["detector_errors"] == 2
    assert len([r for r in caplog.records if "exploding" in r.getMessage()]) == 1


def test_detector_names_must_be_unique() -> None:
    detectors = new_engine().detectors
    with pytest.raises(ConfigError, match=f"repeated: {detectors[0].name}"):
        Engine(registry(), [*detectors, detectors[0]], AlarmManager(id_source()))


def test_changes_are_what_the_manager_holds() -> None:
    engine = new_engine()
    smk = registry()[0]
    changes: list[AlarmChange] = engine.process_readings([reading(smk, SMOKE, 6.0, T0)])
    assert engine.alarm_manager.get(changes[0].alarm.id) == changes[0].alarm


def default_engine(devices: Sequence[Device], zones: Sequence[Zone] = ()) -> Engine:
    """An engine with every detector and the default configuration, converted as the worker does."""
    config = BeffroiConfig()
    detectors = build_detectors(
        threshold_rules_from(config),
        event_rules_from(config),
        rate_of_change_rules=rate_of_change_rules_from(config),
        stuck_value_rules=stuck_value_rules_from(config),
        geofence_rules=[FORBIDDEN_ENTER],
        window_count_rules=window_count_rules_from(config),
        battery=battery_rule_from(config),
        tamper=tamper_rule_from(config),
    )
    return Engine(devices, detectors, AlarmManager(id_source()), zones)


def test_a_simulated_fire_gives_one_fire_alarm_from_smoke_heat_and_rate_of_rise() -> None:
    smk = device("smk-1", DeviceKind.SMOKE_HEAT)
    engine = default_engine([smk])
    engine.tick(T0)
    for i in range(5):
        ts = T0 + 60 * i
        quiet = [reading(smk, SMOKE, 0.05, ts), reading(smk, "temperature_c", 24.0 + 0.1 * (i % 2), ts)]
        assert engine.process_readings(quiet) == []
    start = T0 + 300
    fire = []
    for offset in range(0, 130, 10):  # as beffroi.sim.incidents makes a fire: smoke at once, heat +50 °C in 2 min
        rise = 50.0 * min(1.0, (offset + 30.0) / 120.0)
        fire += [reading(smk, SMOKE, 6.0 + 6.0 * min(1.0, offset / 60.0), start + offset)]
        fire += [reading(smk, "temperature_c", 24.0 + rise, start + offset)]
    changes = engine.process_readings(fire)
    assert [(c.change, c.alarm.key.type) for c in changes] == [(AlarmChangeKind.RAISED, "fire_alarm")]
    assert engine.counters()["conditions"] == 3  # smoke at once, rate of rise at +10 s, heat at +70 s: one alarm


def test_zones_reach_the_detectors_through_the_engine() -> None:
    tracker = device("gps-1", DeviceKind.GPS_TRACKER, zone_id=None)
    engine = default_engine([tracker], ZONES)
    assert engine.zones == ZONES
    assert engine.process_readings([located(tracker, "speed_m_s", 1.2, T0, OUTSIDE)]) == []
    (raised,) = engine.process_readings(
        [located(tracker, "speed_m_s", 1.2, T0 + 15, INSIDE), located(tracker, "battery_pct", 80.0, T0 + 15, INSIDE)]
    )
    assert (raised.change, raised.alarm.key.type, raised.alarm.key.zone_id) == (
        AlarmChangeKind.RAISED,
        "forbidden_enter",
        "forbidden-1",
    )
    engine.update_zones([])
    (rtn,) = engine.process_readings([located(tracker, "speed_m_s", 1.2, T0 + 30, INSIDE)])
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL


def test_default_detectors_raise_battery_tamper_stuck_and_repeated_denials() -> None:
    pir = device("pir-1", DeviceKind.INTRUSION_PIR)
    probe = device("probe-1", DeviceKind.TEMPERATURE)
    door = device("door-1", DeviceKind.ACCESS_CONTROL)
    engine = default_engine([pir, probe, door])
    raised = engine.process_readings([reading(pir, "battery_pct", 14.0, T0)])
    raised += engine.process_event(event("pir-1", "tamper", T0 + 1))
    raised += engine.process_readings([reading(probe, "temperature_c", 21.5, T0 + 180 * i) for i in range(11)])
    for i in range(5):
        raised += engine.process_event(event("door-1", "access_denied", T0 + 10 * i, event_id=f"denied-{i}"))
    types = [c.alarm.key.type for c in raised if c.change is AlarmChangeKind.RAISED]
    # a single refused badge is no alarm; the fifth in 40 s at one door raises the repeated one
    assert sorted(types) == ["access_denied_repeated", "battery_low", "sensor_stuck", "tamper"]
