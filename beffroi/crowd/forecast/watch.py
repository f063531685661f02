"""One zone watched: its forecaster and its announcer, fed one observation at a time."""

from __future__ import annotations

from beffroi.crowd.forecast.announcer import Announcement, AnnouncerSettings, RedAnnouncer
from beffroi.crowd.forecast.forecaster import Forecast, ForecastSettings, ZoneForecaster
from beffroi.crowd.forecast.schedule import Schedule
from beffroi.crowd.forecast.thresholds import RedAndAmber


class ZoneWatch:
    """The forecast and the "red expected" announcements of one zone (area in m², thresholds in p/m²)."""

    __slots__ = ("announcer", "forecaster", "zone_id")

    def __init__(
        self,
        zone_id: str,
        area_m2: float,
        thresholds: RedAndAmber,
        *,
        schedule: Schedule | None = None,
        forecast_settings: ForecastSettings | None = None,
        announcer_settings: AnnouncerSettings | None = None,
    ) -> None:
        self.zone_id = zone_id
        self.forecaster = ZoneForecaster(area_m2, thresholds, schedule, forecast_settings)
        self.announcer = RedAnnouncer(zone_id, area_m2, thresholds, announcer_settings)

    def observe(
        self, ts: float, count: float, inflow: float | None = None, outflow: float | None = None
    ) -> tuple[Forecast, list[Announcement]]:
        """The forecast from this observation and the announcements it causes (see ZoneForecaster.observe)."""
        forecast = self.forecaster.observe(ts, count, inflow, outflow)
        return forecast, self.announcer.update(ts, forecast)
