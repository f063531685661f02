"""Presence or use of a weapon (decree n° 2023-828): a weapon seen by an ONNX model the operator installs and
names in `[analytics.weapon]` (model, model_sha256, classes, min_score; optional every_s, confirm_frames). Off
unless listed: no such model ships with Beffroi."""

from __future__ import annotations

from beffroi.video.analytics.base import LegalBasis, register
from beffroi.video.analytics.model_sightings import ModelSightings
from beffroi.video.detectors.model_watch import ModelWatchSettings

KIND = "weapon"


class WeaponSettings(ModelWatchSettings):
    """The weapon model's settings (see ModelWatchSettings), e.g. classes = {0 = "knife", 1 = "handgun"}."""


class Weapon(ModelSightings):
    """Raises "weapon" once the camera's weapon model has seen a weapon on `confirm_frames` runs in a row (again
    every `repeat_s` while it goes on), with every box, the best score as confidence and the zone holding the best
    box."""

    kind = KIND
    legal_basis = LegalBasis.WEAPON


register(KIND, LegalBasis.WEAPON, WeaponSettings, Weapon)
