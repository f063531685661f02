"""How much of each thing on a frame shows: the part of its box that nothing nearer hides, and the box of what
shows inside the picture. Measured on a grid over each box, all things at once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ROWS, COLUMNS = 24, 16


def visibility(
    boxes: FloatArray,
    depths: FloatArray,
    occluders: FloatArray,
    occluder_depths: FloatArray,
    width: int,
    height: int,
) -> tuple[FloatArray, FloatArray]:
    """For n boxes (n × 4, x1 y1 x2 y2) at `depths`, hidden by the `occluders` (m × 4) that are nearer: the fraction
    of each box that nothing nearer covers (n), and the box of the part that shows inside a `width` × `height`
    picture (n × 4; NaN where nothing shows)."""
    count = len(boxes)
    if count == 0:
        return np.zeros(0), np.zeros((0, 4))
    x1, y1, x2, y2 = boxes.T
    cell_w, cell_h = (x2 - x1) / COLUMNS, (y2 - y1) / ROWS
    ys = y1[:, None] + (np.arange(ROWS) + 0.5)[None, :] * cell_h[:, None]
    xs = x1[:, None] + (np.arange(COLUMNS) + 0.5)[None, :] * cell_w[:, None]
    nearer = occluder_depths[None, :] < depths[:, None]
    in_rows = (ys[:, None, :] >= occluders[None, :, 1, None]) & (ys[:, None, :] <= occluders[None, :, 3, None])
    in_cols = (xs[:, None, :] >= occluders[None, :, 0, None]) & (xs[:, None, :] <= occluders[None, :, 2, None])
    in_rows &= nearer[:, :, None]
    covered = np.matmul(in_rows.transpose(0, 2, 1).astype(np.float32), in_cols.astype(np.float32)) > 0
    fraction = 1.0 - covered.mean(axis=(1, 2))
    in_image = ((ys >= 0) & (ys < height))[:, :, None] & ((xs >= 0) & (xs < width))[:, None, :]
    showing = ~covered & in_image
    rows_shown, cols_shown = showing.any(axis=2), showing.any(axis=1)
    first_row, last_row = rows_shown.argmax(axis=1), ROWS - 1 - rows_shown[:, ::-1].argmax(axis=1)
    first_col, last_col = cols_shown.argmax(axis=1), COLUMNS - 1 - cols_shown[:, ::-1].argmax(axis=1)
    shown = np.column_stack(
        [
            np.maximum(0.0, x1 + first_col * cell_w),
            np.maximum(0.0, y1 + first_row * cell_h),
            np.minimum(float(width), x1 + (last_col + 1) * cell_w),
            np.minimum(float(height), y1 + (last_row + 1) * cell_h),
        ]
    )
    shown[~rows_shown.any(axis=1)] = np.nan
    return np.asarray(fraction, dtype=np.float64), shown
