"""Presence or use of a weapon (decree n° 2023-828): a weapon seen by an ONNX model the operator installs and
names in `[analytics.weapon]` (model, model_sha256, classes, min_score; optional every_s, confirm_frames). Off
unless listed: no such model ships with Beffroi."""

from __future__ import annotations

from shapely.geometry import Point

from beffroi.video.analytics.base import AnalyticOutput, CameraView, FrameContext, LegalBasis, VideoEvent, register
from beffroi.video.detectors.model_watch import ModelWatch, ModelWatchSettings

KIND = "weapon"


class WeaponSettings(ModelWatchSettings):
    """The weapon model's settings (see ModelWatchSettings), e.g. classes = {0 = "knife", 1 = "handgun"}."""


class Weapon:
    """Raises "weapon" once the camera's weapon model has seen a weapon on `confirm_frames` runs in a row (again
    every `repeat_s` while it goes on), with every box, the best score as confidence and the zone holding the best
    box."""

    kind = KIND
    legal_basis = LegalBasis.WEAPON

    def __init__(self, settings: WeaponSettings, view: CameraView) -> None:
        self.view = view
        detector = settings.build_detector(KIND)
        self.watch = ModelWatch(detector, settings.every_s, settings.confirm_frames, settings.repeat_s)

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Run the model when due; the event once confirmed."""
        sighting = self.watch.update(context.ts, context.image)
        if sighting is None:
            return AnalyticOutput()
        best = sighting.best
        centre = Point(*best.box.centre)
        zone = next((name for name, zone in self.view.zones.items() if zone.polygon.contains(centre)), None)
        event = VideoEvent(
            type=KIND,
            ts=context.ts,
            analytic=KIND,
            legal_basis=self.legal_basis,
            confidence=round(best.score, 3),
            zone=zone,
            boxes=sighting.boxes,
            details={"label": best.label, "labels": sighting.labels, "runs": sighting.runs},
        )
        return AnalyticOutput(events=[event])


register(KIND, LegalBasis.WEAPON, WeaponSettings, Weapon)
