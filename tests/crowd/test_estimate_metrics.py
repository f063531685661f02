"""The crowd_estimate device's metrics: one list, the same in the device profile, named as documented."""

from __future__ import annotations

from beffroi.crowd.estimate_metrics import ESTIMATE_METRICS, forecast_metric, source_people_metric
from beffroi.crowd.fusion import SourceKind
from beffroi.domain.registry import DEVICE_PROFILES, DeviceKind


def test_the_device_profile_lists_every_metric_the_worker_publishes() -> None:
    assert DEVICE_PROFILES[DeviceKind.CROWD_ESTIMATE].metrics == ESTIMATE_METRICS
    assert len(set(ESTIMATE_METRICS)) == len(ESTIMATE_METRICS)


def test_metric_names() -> None:
    assert forecast_metric(15) == "forecast_15"
    assert forecast_metric(30, "lo") == "forecast_30_lo"
    assert source_people_metric(SourceKind.MOBILE) == "people_mobile"
    assert "people_turnstile" not in ESTIMATE_METRICS  # turnstiles count passages, never the people present
