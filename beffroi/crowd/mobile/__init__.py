"""Crowd figures from one mobile operator's signalling, done openly: pseudonymise at the door, place
subscribers on zones by cell coverage, extrapolate by market share, publish only protected aggregates.

Modules: `calendar` (key-days and night hours), `pseudonymise`, `files` (CSV/Parquet drops), `allocation`
(cells → zones, with `radio` and `coverage` for the two ways to model coverage), `resolution` (which zones the cells
can tell apart), `aggregate` (one slot's raw figures, with `idle` for where the silent phones are), `privacy`
(k-suppression, Laplace noise), `estimator` (the whole chain), `results` (what leaves, typed for the bus).
"""

from beffroi.crowd.mobile.aggregate import RawSlotFigures
from beffroi.crowd.mobile.allocation import CellAllocation, allocate
from beffroi.crowd.mobile.calendar import KeyCalendar
from beffroi.crowd.mobile.coverage import sector_polygon
from beffroi.crowd.mobile.estimator import EstimationSettings, MobileEstimator
from beffroi.crowd.mobile.files import IngestReport, RejectedRow, SignallingFileReader
from beffroi.crowd.mobile.privacy import PrivacySettings
from beffroi.crowd.mobile.pseudonymise import Pseudonymiser
from beffroi.crowd.mobile.results import OUTSIDE, Count, Flow, MobileSlotEstimate, OriginCount, ZoneEstimate

__all__ = [
    "OUTSIDE",
    "CellAllocation",
    "Count",
    "EstimationSettings",
    "Flow",
    "IngestReport",
    "KeyCalendar",
    "MobileEstimator",
    "MobileSlotEstimate",
    "OriginCount",
    "PrivacySettings",
    "Pseudonymiser",
    "RawSlotFigures",
    "RejectedRow",
    "SignallingFileReader",
    "ZoneEstimate",
    "allocate",
    "sector_polygon",
]
