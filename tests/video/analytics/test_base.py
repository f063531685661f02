"""A video event holds plain Python values whatever its analytic computed them with, so it always encodes."""

from __future__ import annotations

import msgspec
import numpy as np

from beffroi.video.analytics.base import LegalBasis, VideoEvent


def test_numpy_numbers_in_an_event_become_plain_python_values_that_encode() -> None:
    event = VideoEvent(
        "crowd_density",
        np.float64(12.5),
        "density",
        LegalBasis.EXCESSIVE_DENSITY,
        np.float32(0.9),
        track_ids=(np.int64(4),),  # type: ignore[arg-type]
        details={"density": np.float64(4.83), "count": np.int64(58), "moving": np.bool_(True), "method": "occupancy"},  # type: ignore[dict-item]
    )

    assert type(event.ts) is float and type(event.confidence) is float and event.track_ids == (4,)
    assert [type(value) for value in event.details.values()] == [float, int, bool, str]
    assert msgspec.json.decode(msgspec.json.encode(event.details)) == {
        "density": 4.83,
        "count": 58,
        "moving": True,
        "method": "occupancy",
    }
