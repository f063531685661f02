"""Alarm-rate metrics: sliding-window counts with peak and total, per site and per desk, bounded, tenant-scoped."""

from __future__ import annotations

import pytest

from beffroi.engine.alarm_rates import AlarmRates, DeskAlarmRate, RateWindow
from beffroi.errors import ConfigError
from tests.engine.builders import T0

START = 1_750_000_200.0
"""A multiple of 20 s: the windows below have 20-s buckets, so counts are exact at these times."""


def test_window_counts_raises_of_the_last_window_and_keeps_peak_and_total() -> None:
    window = RateWindow(600.0, 30)
    for i in range(5):
        window.add(START + i * 60)  # START .. START+240
    assert window.current(START + 240) == 5
    assert (window.peak, window.peak_at, window.total) == (5, START + 240, 5)
    assert window.current(START + 600) == 4  # the raise at START left the window
    assert window.current(START + 830) == 1
    assert window.current(START + 900) == 0
    window.add(START + 900)
    assert window.current(START + 900) == 1
    assert (window.peak, window.total) == (5, 6)


def test_window_ignores_raises_older_than_its_window_for_the_count_but_totals_them() -> None:
    window = RateWindow(600.0, 30)
    window.add(START + 5000)
    window.add(START)  # far older than the newest bucket
    assert window.current(START + 5000) == 1
    assert window.total == 2
    window.add(START + 4990)  # slightly out of order, still in the window
    assert window.current(START + 5000) == 2


def test_window_starts_over_after_a_long_silence() -> None:
    window = RateWindow(600.0, 30)
    for i in range(3):
        window.add(START + i)
    window.add(START + 100_000)
    assert window.current(START + 100_000) == 1
    assert window.peak == 3


def test_rates_per_site_and_desk_are_scoped_to_the_tenant() -> None:
    rates = AlarmRates(600.0, flood_max_alarms=10)
    rates.record_raise("t1", "site-a", "paris", START)
    rates.record_raise("t1", "site-a", "paris", START + 10)
    rates.record_raise("t1", "site-b", "regions", START + 20)
    rates.record_raise("t1", None, "paris", START + 30)
    rates.record_raise("t2", "site-z", "paris", START + 40)
    snapshot = rates.snapshot("t1", START + 60, desks=["paris", "regions", "transport"])
    assert (snapshot.tenant_id, snapshot.window_s, snapshot.flood_max_alarms) == ("t1", 600.0, 10)
    assert [(s.site_id, s.current, s.total) for s in snapshot.sites] == [("site-a", 2, 2), ("site-b", 1, 1)]
    assert [(d.desk, d.current) for d in snapshot.desks] == [("paris", 3), ("regions", 1), ("transport", 0)]
    assert snapshot.desks[2] == DeskAlarmRate("transport", 0, 0, None, 0, 0, 0, False, None)
    other = rates.snapshot("t2", START + 60)
    assert [(d.desk, d.current) for d in other.desks] == [("paris", 1)]


def test_floods_and_grouped_alarms_are_counted_per_desk() -> None:
    rates = AlarmRates()
    rates.record_raise("t1", "site-a", "paris", T0)
    rates.record_flood_start("t1", "paris", T0)
    rates.record_grouped("t1", "paris")
    rates.record_grouped("t1", "paris")
    (desk,) = rates.snapshot("t1", T0).desks
    assert (desk.floods, desk.grouped, desk.flooding, desk.flood_since) == (1, 2, True, T0)
    health = rates.health(T0)
    assert (health["floods_active"], health["flood_episodes"], health["alarms_flood_grouped"]) == (1, 1, 2)
    rates.record_flood_end("t1", "paris")
    (desk,) = rates.snapshot("t1", T0).desks
    assert (desk.floods, desk.flooding, desk.flood_since) == (1, False, None)
    assert rates.health(T0)["floods_active"] == 0


def test_series_are_bounded_forgetting_the_least_recently_raised() -> None:
    rates = AlarmRates(max_series=3)
    for i in range(3):
        rates.record_raise("t1", f"site-{i}", "main", T0 + i)
    rates.record_raise("t1", "site-0", "main", T0 + 3)  # site-0 is now the most recent
    rates.record_raise("t1", "site-3", "main", T0 + 4)
    sites = [s.site_id for s in rates.snapshot("t1", T0 + 5).sites]
    assert sites == ["site-0", "site-2", "site-3"]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [({"window_s": 0.0}, "window_s"), ({"buckets": 0}, "buckets"), ({"max_series": 0}, "max_series")],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        AlarmRates(**kwargs)  # type: ignore[arg-type]
