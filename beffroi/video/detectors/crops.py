"""Choosing where a detector looks: crops around the motion gate's regions, or the whole frame when they cover
most of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beffroi.video.detections import Box


@dataclass(frozen=True, slots=True)
class CropPlan:
    """How to cover regions of a frame: `pad` (fraction of a region's larger side added around it), `min_side`
    (pixels: a smaller crop is grown, the model would otherwise upscale it too much), at most `max_crops` crops
    whose total area stays under `max_fraction` of the frame; beyond either, the whole frame in one pass."""

    pad: float = 0.25
    min_side: int = 160
    max_crops: int = 4
    max_fraction: float = 0.5

    def crops(self, regions: list[Box], width: int, height: int) -> list[Box] | None:
        """Square-ish crops (integer pixel bounds inside the frame, none overlapping) covering the padded
        regions, or None for one pass on the whole frame."""
        grown = [self._grow(region, width, height) for region in regions if region.area > 0]
        merged = merge_overlapping(grown)
        if len(merged) > self.max_crops or sum(c.area for c in merged) > self.max_fraction * width * height:
            return None
        return merged

    def _grow(self, region: Box, width: int, height: int) -> Box:
        side = max(region.width, region.height)
        side = max(side * (1 + 2 * self.pad), float(self.min_side))
        half_w = min(side, width) / 2
        half_h = min(side, height) / 2
        cx, cy = region.centre
        cx = min(max(cx, half_w), width - half_w)
        cy = min(max(cy, half_h), height - half_h)
        return Box(
            float(np.floor(cx - half_w)),
            float(np.floor(cy - half_h)),
            float(np.ceil(cx + half_w)),
            float(np.ceil(cy + half_h)),
        )


def merge_overlapping(boxes: list[Box]) -> list[Box]:
    """Boxes that overlap replaced by their union, until none overlap."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for box in merged:
            for i, other in enumerate(out):
                if box.x1 < other.x2 and other.x1 < box.x2 and box.y1 < other.y2 and other.y1 < box.y2:
                    out[i] = union(box, other)
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return merged


def union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return Box(min(a.x1, b.x1), min(a.y1, b.y1), max(a.x2, b.x2), max(a.y2, b.y2))
