"""Event schedules: the CSV and YAML formats, their errors, and the crowd features a session implies."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.crowd.forecast import Schedule, Session, parse_schedule
from beffroi.crowd.forecast.schedule import FEATURE_NAMES
from beffroi.errors import RejectedInput

KICK_OFF = 1_722_015_000.0  # 2024-07-26T17:30:00Z
CSV = """start,end,label,half_time,attendance
2024-07-26T19:30:00+02:00,2024-07-26T21:30:00+02:00,Final,2024-07-26T20:25:00+02:00,60000
1722106800,1722110400,Short session,,30000
"""
YAML = """sessions:
  - start: 2024-07-26T19:30:00+02:00
    end: 2024-07-26T21:30:00+02:00
    label: Final
    half_time: none
  - {start: 1722106800, end: 1722110400, label: Short session, attendance: 30000}
"""


def test_csv_schedule_reads_times_breaks_and_attendance() -> None:
    final, short = parse_schedule(CSV, name="sessions.csv")
    assert final == Session(KICK_OFF, KICK_OFF + 7200.0, "Final", KICK_OFF + 3300.0, 60000.0)
    assert (short.start, short.end, short.label, short.half_time, short.attendance) == (
        1722106800.0,
        1722110400.0,
        "Short session",
        None,
        30000.0,
    )


def test_yaml_schedule_reads_the_same_keys() -> None:
    final, short = parse_schedule(YAML, name="sessions.yaml")
    assert (final.start, final.end, final.label, final.has_break) == (KICK_OFF, KICK_OFF + 7200.0, "Final", False)
    assert short.attendance == 30000.0
    assert parse_schedule("- {start: 2024-07-26T19:30:00+02:00, end: 2024-07-26T21:00:00+02:00}")[0].start == KICK_OFF


@pytest.mark.parametrize(
    ("text", "name", "problem"),
    [
        ("start,end\n2024-07-26T19:30:00+02:00,yesterday\n", "s.csv", "line 2: end: 'yesterday' is neither"),
        ("start,end\n1722106800,1722100000\n", "s.csv", "line 2: end must be after start"),
        ("start,end\n2024-07-26T19:30:00,2024-07-26T21:30:00\n", "s.csv", "line 2: start: .* has no UTC offset"),
        ("start,end,attendance\n1722106800,1722110400,-3\n", "s.csv", "line 2: attendance must be a number > 0"),
        ("begin,finish\n1,2\n", "s.csv", "line 1: the header must name"),
        ("- {start: 1722106800}\n", "s.yaml", r"sessions\[0\]: `end` is missing"),
        ("- {start: 1722106800, end: 1722110400, room: B}\n", "s.yaml", r"sessions\[0\]: unknown key\(s\) room"),
        ("sessions: 3\n", "s.yaml", "expected a list of sessions"),
    ],
)
def test_bad_schedules_are_refused_naming_the_place(text: str, name: str, problem: str) -> None:
    with pytest.raises(RejectedInput, match=problem):
        parse_schedule(text, name=name)


def test_features_follow_the_published_arrival_and_departure_profile() -> None:
    session = Session(KICK_OFF, KICK_OFF + 2 * 3600.0)
    schedule = Schedule([session])
    times = KICK_OFF + np.arange(-4 * 3600.0, 3 * 3600.0 + 60.0, 60.0)
    features = np.array([schedule.features(t) for t in times])
    assert features.shape == (len(times), len(FEATURE_NAMES))
    constant, present, arrivals, departures, on_break = features.T
    assert (constant == 1.0).all()
    minutes = (times - KICK_OFF) / 60.0
    assert minutes[np.argmax(arrivals)] == pytest.approx(-40.0, abs=3.0)
    assert arrivals.max() == pytest.approx(1.0, abs=0.01)
    assert present[minutes == -180.0][0] < 0.01
    assert present[minutes == 30.0][0] > 0.95
    assert minutes[np.argmax(on_break)] == pytest.approx(60.0, abs=1.0)
    # Departures from 10 minutes before the end, most of them within 25 minutes after it.
    after_end = minutes - 120.0
    assert present[after_end == -15.0][0] > 0.95
    assert present[after_end == 25.0][0] < 0.3
    assert present[after_end == 50.0][0] == 0.0
    assert departures[after_end == -20.0][0] == 0.0


def test_sessions_add_up_by_attendance_and_short_ones_have_no_break() -> None:
    first = Session(KICK_OFF, KICK_OFF + 3600.0, attendance=20000.0)
    second = Session(KICK_OFF + 6 * 3600.0, KICK_OFF + 7 * 3600.0, attendance=40000.0)
    schedule = Schedule([second, first])
    assert schedule.features(KICK_OFF + 1800.0)[1] == pytest.approx(0.5, abs=0.02)
    assert schedule.features(KICK_OFF + 6 * 3600.0 + 1800.0)[1] == pytest.approx(1.0, abs=0.02)
    assert max(schedule.features(KICK_OFF + m * 60.0)[4] for m in range(60)) == 0.0
