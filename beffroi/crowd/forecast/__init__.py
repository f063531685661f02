"""Short-term overcrowding forecast per zone (15 and 30 minutes ahead) and "red expected in N min" announcements.

`ZoneWatch` is the entry point: feed it a zone's counts (and inflow/outflow when known) in time order; it returns
the forecast (median and prediction interval for every minute up to 30) and any announcement (msgspec messages,
`to_event` makes them domain Events). See `forecaster` for the model, `schedule` for the event schedule,
`announcer` for when an announcement is raised and cleared, `thresholds` for the densities.
"""

from beffroi.crowd.forecast.announcer import (
    RED_EXPECTED,
    RED_EXPECTED_CLEARED,
    Announcement,
    AnnouncerSettings,
    RedAnnouncer,
    RedExpected,
    RedExpectedCleared,
    to_event,
)
from beffroi.crowd.forecast.forecaster import (
    HORIZONS_S,
    PATH_MINUTES,
    Forecast,
    ForecastSettings,
    HorizonForecast,
    ZoneForecaster,
)
from beffroi.crowd.forecast.schedule import Schedule, Session, SessionProfile, parse_schedule
from beffroi.crowd.forecast.thresholds import (
    MOVING,
    STANDING,
    CrowdPosture,
    DensityThresholds,
    RedAndAmber,
    thresholds_for,
)
from beffroi.crowd.forecast.watch import ZoneWatch

__all__ = [
    "HORIZONS_S",
    "MOVING",
    "PATH_MINUTES",
    "RED_EXPECTED",
    "RED_EXPECTED_CLEARED",
    "STANDING",
    "Announcement",
    "AnnouncerSettings",
    "CrowdPosture",
    "DensityThresholds",
    "Forecast",
    "ForecastSettings",
    "HorizonForecast",
    "RedAndAmber",
    "RedAnnouncer",
    "RedExpected",
    "RedExpectedCleared",
    "Schedule",
    "Session",
    "SessionProfile",
    "ZoneForecaster",
    "ZoneWatch",
    "parse_schedule",
    "thresholds_for",
    "to_event",
]
