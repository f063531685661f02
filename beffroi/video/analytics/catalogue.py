"""Importing this module registers every analytic Beffroi ships (the pipeline imports it; plug-ins of a deployment
register themselves the same way, by being imported)."""

from __future__ import annotations

from beffroi.video.analytics import (  # noqa: F401 (imported for their registration)
    abandoned_object,
    crowd_movement,
    density,
    fire_start,
    forbidden_zone,
    line_crossing,
    loitering,
    person_down,
    weapon,
    wrong_way,
    zone_count,
)
