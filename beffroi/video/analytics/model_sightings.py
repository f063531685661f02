"""What the ONNX model plug-ins (fire start, weapon) share: the camera's own model run every `every_s`, a sighting
confirmed over `confirm_frames` runs, and its event (every box, the best score as confidence, the zone holding the
best box)."""

from __future__ import annotations

from shapely.geometry import Point

from beffroi.video.analytics.base import AnalyticOutput, CameraView, FrameContext, LegalBasis, VideoEvent
from beffroi.video.detectors.model_watch import ModelWatch, ModelWatchSettings


class ModelSightings:
    """Raises `kind` once the camera's model has seen its classes on `confirm_frames` runs in a row (again every
    `repeat_s` while it goes on). Subclasses set `kind` and `legal_basis`."""

    kind: str
    legal_basis: LegalBasis

    def __init__(self, settings: ModelWatchSettings, view: CameraView) -> None:
        self.view = view
        detector = settings.build_detector(self.kind)
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
            type=self.kind,
            ts=context.ts,
            analytic=self.kind,
            legal_basis=self.legal_basis,
            confidence=round(best.score, 3),
            zone=zone,
            boxes=sighting.boxes,
            details={"label": best.label, "labels": sighting.labels, "runs": sighting.runs},
        )
        return AnalyticOutput(events=[event])
