"""The "red expected in N min" announcer: confirmation, hysteresis, cancellation, red reached, events."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.crowd.forecast import (
    RED_EXPECTED,
    RED_EXPECTED_CLEARED,
    AnnouncerSettings,
    DensityThresholds,
    RedAnnouncer,
    RedExpected,
    RedExpectedCleared,
    to_event,
)
from beffroi.errors import ConfigError
from tests.crowd.forecast.helpers import MINUTE, T0, path_forecast, ramp_path

AREA = 100.0
THRESHOLDS = DensityThresholds(amber=3.0, red=4.0)  # amber 300 people, red 400
SETTINGS = AnnouncerSettings(raise_probability=0.5, clear_probability=0.25, confirm=2, release=3, refresh_s=600.0)


def announcer() -> RedAnnouncer:
    return RedAnnouncer("gate-a", AREA, THRESHOLDS, SETTINGS)


def test_red_expected_needs_two_forecasts_in_a_row_and_says_when() -> None:
    a = announcer()
    crossing = ramp_path(280.0, 10.0)  # 400 reached 12 minutes ahead
    assert a.update(T0, path_forecast(280.0, crossing)) == []
    assert a.update(T0 + MINUTE, path_forecast(280.0, ramp_path(280.0, 1.0))) == []  # not twice in a row
    assert a.update(T0 + 2 * MINUTE, path_forecast(280.0, crossing)) == []
    [message] = a.update(T0 + 3 * MINUTE, path_forecast(280.0, crossing))
    assert isinstance(message, RedExpected)
    assert message.zone_id == "gate-a"
    assert message.minutes_ahead == 12.0
    assert message.repeat is False
    assert message.density == pytest.approx(4.0)
    assert message.density_low < 4.0 < message.density_high
    assert message.probability == pytest.approx(0.5, abs=0.05)
    assert message.density_now == pytest.approx(2.8)
    assert message.red_density == 4.0
    assert a.active


def test_hysteresis_holds_through_a_dip_then_cancels_when_the_forecast_stays_below() -> None:
    a = announcer()
    for i in range(2):
        messages = a.update(T0 + i * MINUTE, path_forecast(300.0, ramp_path(300.0, 6.0)))
    assert [type(m) for m in messages] == [RedExpected]
    # Median just short of red (probability ~0.3, above the 0.25 to clear): held, nothing said.
    near = path_forecast(300.0, [min(300.0 + 6.0 * m, 390.0) for m in range(1, 31)], spread=0.05)
    assert near.probability_above(400.0, 30) > 0.25
    for i in range(2, 8):
        assert a.update(T0 + i * MINUTE, near) == []
    assert a.active
    # Clearly below: two updates are not enough, the third clears.
    low = path_forecast(300.0, [300.0] * 30)
    assert a.update(T0 + 8 * MINUTE, low) == []
    assert a.update(T0 + 9 * MINUTE, low) == []
    [cleared] = a.update(T0 + 10 * MINUTE, low)
    assert isinstance(cleared, RedExpectedCleared)
    assert cleared.reason == "forecast_below_red"
    assert not a.active
    # One crossing forecast alone does not raise again.
    assert a.update(T0 + 11 * MINUTE, path_forecast(300.0, ramp_path(300.0, 6.0))) == []


def test_held_announcement_is_repeated_every_refresh_period() -> None:
    a = announcer()
    crossing = path_forecast(320.0, ramp_path(320.0, 5.0))
    sent = [m for i in range(25) for m in a.update(T0 + i * MINUTE, crossing)]
    assert [m.repeat for m in sent if isinstance(m, RedExpected)] == [False, True, True]
    assert [m.ts - T0 for m in sent] == [60.0, 660.0, 1260.0]


def test_red_reached_clears_and_nothing_is_raised_until_back_below_amber() -> None:
    a = announcer()
    for i in range(2):
        a.update(T0 + i * MINUTE, path_forecast(350.0, ramp_path(350.0, 5.0)))
    [cleared] = a.update(T0 + 2 * MINUTE, path_forecast(410.0, ramp_path(410.0, 5.0)))
    assert isinstance(cleared, RedExpectedCleared)
    assert cleared.reason == "red_reached"
    assert cleared.density_now == pytest.approx(4.1)
    # Just below red again, still above amber: the density alarm's business, no announcement.
    for i in range(3, 8):
        assert a.update(T0 + i * MINUTE, path_forecast(390.0, ramp_path(390.0, 5.0))) == []
    # Back below amber, then a new approach: announced again.
    assert a.update(T0 + 8 * MINUTE, path_forecast(250.0, [250.0] * 30)) == []
    a.update(T0 + 9 * MINUTE, path_forecast(290.0, ramp_path(290.0, 8.0)))
    [again] = a.update(T0 + 10 * MINUTE, path_forecast(290.0, ramp_path(290.0, 8.0)))
    assert isinstance(again, RedExpected)
    assert again.repeat is False


def test_higher_raise_probability_waits_for_a_surer_forecast() -> None:
    cautious = RedAnnouncer("z", AREA, THRESHOLDS, AnnouncerSettings(raise_probability=0.9, clear_probability=0.5))
    median_only = path_forecast(300.0, ramp_path(300.0, 4.0), spread=0.1)  # median 400 at 25 min
    assert cautious.update(T0, median_only) == cautious.update(T0 + MINUTE, median_only) == []
    sure = path_forecast(300.0, ramp_path(300.0, 12.0), spread=0.02)
    cautious.update(T0 + 2 * MINUTE, sure)
    [message] = cautious.update(T0 + 3 * MINUTE, sure)
    assert isinstance(message, RedExpected)
    assert message.probability >= 0.9


def test_messages_become_domain_events_and_round_trip() -> None:
    raised = RedExpected("gate-a", T0, 12.0, 0.62, 4.1, 3.8, 4.5, 2.9, 4.0)
    event = to_event(raised, tenant_id="paris", site_id="stade")
    assert (event.type, event.zone_id, event.site_id, event.ts) == (RED_EXPECTED, "gate-a", "stade", T0)
    assert event.confidence == 0.62
    assert (event.source, event.event_id) == ("crowd", f"{RED_EXPECTED}-gate-a-{round(T0 * 1000)}")
    assert event.attributes["minutes_ahead"] == 12.0
    assert event.attributes["density"] == 4.1
    assert (event.attributes["density_low"], event.attributes["density_high"]) == (3.8, 4.5)
    cleared = RedExpectedCleared("gate-a", T0 + 60.0, "forecast_below_red", 2.5, 4.0)
    event = to_event(cleared, tenant_id="paris", source="forecast", event_id="e2")
    assert (event.type, event.attributes["reason"]) == (RED_EXPECTED_CLEARED, "forecast_below_red")
    assert (event.source, event.event_id) == ("forecast", "e2")
    decoder = msgspec.msgpack.Decoder(RedExpected | RedExpectedCleared)
    assert decoder.decode(msgspec.msgpack.encode(raised)) == raised
    assert decoder.decode(msgspec.msgpack.encode(cleared)) == cleared


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="clear_probability < raise_probability"):
        AnnouncerSettings(raise_probability=0.3, clear_probability=0.4)
    with pytest.raises(ConfigError, match="confirm and release"):
        AnnouncerSettings(confirm=0)
    with pytest.raises(ConfigError, match="red"):
        DensityThresholds(amber=4.0, red=3.0)
