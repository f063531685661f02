"""Fire start (decree n° 2023-828): flames or smoke seen by an ONNX model the operator installs and names in
`[analytics.fire_start]` (model, model_sha256, classes, min_score; optional every_s, confirm_frames). Off unless
listed: no such model ships with Beffroi."""

from __future__ import annotations

from beffroi.video.analytics.base import LegalBasis, register
from beffroi.video.analytics.model_sightings import ModelSightings
from beffroi.video.detectors.model_watch import ModelWatchSettings

KIND = "fire_start"


class FireStartSettings(ModelWatchSettings):
    """The fire model's settings (see ModelWatchSettings), e.g. classes = {0 = "fire", 1 = "smoke"}."""


class FireStart(ModelSightings):
    """Raises "fire_start" once the camera's fire model has seen flames or smoke on `confirm_frames` runs in a
    row (again every `repeat_s` while it goes on), with every box, the best score as confidence and the zone
    holding the best box."""

    kind = KIND
    legal_basis = LegalBasis.FIRE_START


register(KIND, LegalBasis.FIRE_START, FireStartSettings, FireStart)
