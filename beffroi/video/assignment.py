"""Pairing detections with tracks: box overlaps, and the assignment that keeps the best total match, solved exactly
on each small group of competing pairs (the Hungarian method) and greedily on rare huge groups."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
PairCost = Callable[[IntArray, IntArray], FloatArray]
"""The costs of the cells (rows[k], cols[k]) of a matrix, given as two index arrays."""

EXACT_LIMIT = 24
"""Groups of competing pairs with more rows and more columns than this are assigned greedily."""


def iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """Intersection over union of every box of `a` (n × 4, x1 y1 x2 y2) with every box of `b` (m × 4): n × m."""
    # In place where it can: allocations, not arithmetic, are most of the cost for hundreds of boxes.
    iou: FloatArray = np.minimum(a[:, None, 2], b[None, :, 2])
    iou -= np.maximum(a[:, None, 0], b[None, :, 0])
    np.maximum(iou, 0.0, out=iou)
    height = np.minimum(a[:, None, 3], b[None, :, 3])
    height -= np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(height, 0.0, out=height)
    iou *= height  # the intersection
    union = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None] + ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None, :]
    union -= iou
    np.maximum(union, 1e-12, out=union)
    iou /= union
    return iou


def best_pairs(allowed: BoolArray, cost: PairCost) -> list[tuple[int, int]]:
    """(row, column) pairs among the allowed cells, each row and column once, that make as many pairs as they can
    at the lowest total cost (exactly, unless a group of competing pairs is very large). `cost(rows, cols)` gives
    the cost of the cells (rows[k], cols[k]); it is asked only where pairs compete. Sorted by row."""
    rows, cols = np.nonzero(allowed)
    if rows.size == 0:
        return []
    row_degree = np.bincount(rows, minlength=allowed.shape[0])
    col_degree = np.bincount(cols, minlength=allowed.shape[1])
    alone = (row_degree[rows] == 1) & (col_degree[cols] == 1)
    pairs = list(zip(rows[alone].tolist(), cols[alone].tolist(), strict=True))
    if not alone.all():
        contested_rows, contested_cols = rows[~alone], cols[~alone]
        costs = cost(contested_rows, contested_cols).tolist()
        edges = list(zip(contested_rows.tolist(), contested_cols.tolist(), costs, strict=True))
        for group in _groups(edges):
            pairs += _solve_group(group)
    pairs.sort()
    return pairs


def _groups(edges: list[tuple[int, int, float]]) -> list[list[tuple[int, int, float]]]:
    """The edges of a bipartite graph (row, column, cost) split into its connected groups."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(node: tuple[int, int]) -> tuple[int, int]:
        root = parent.setdefault(node, node)
        while root != parent[root]:
            root = parent[root]
        while node != root:
            parent[node], node = root, parent[node]
        return root

    for r, c, _ in edges:
        a, b = find((0, r)), find((1, c))
        if a != b:
            parent[a] = b
    groups: dict[tuple[int, int], list[tuple[int, int, float]]] = {}
    for edge in edges:
        groups.setdefault(find((0, edge[0])), []).append(edge)
    return list(groups.values())


def _solve_group(edges: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The best pairs within one group of competing rows and columns."""
    rows = sorted({r for r, _, _ in edges})
    cols = sorted({c for _, c, _ in edges})
    if min(len(rows), len(cols)) > EXACT_LIMIT:
        return _greedy(edges)
    # Maximise the total gain (limit − cost) of allowed pairs; a forbidden pair gains nothing, like no pair. The
    # limit is high enough that one more pair always outweighs any saving in cost.
    low = min(cost for _, _, cost in edges)
    high = max(cost for _, _, cost in edges)
    limit = high + (high - low + 1.0) * min(len(rows), len(cols))
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    transposed = len(rows) > len(cols)
    loss = [[0.0] * len(rows) for _ in cols] if transposed else [[0.0] * len(cols) for _ in rows]
    for r, c, cost in edges:
        i, j = row_at[r], col_at[c]
        if transposed:
            i, j = j, i
        loss[i][j] = cost - limit
    chosen = hungarian(loss)
    pairs: list[tuple[int, int]] = []
    for i, j in enumerate(chosen):
        if loss[i][j] < 0:  # an allowed cell
            pairs.append((rows[j], cols[i]) if transposed else (rows[i], cols[j]))
    return pairs


def hungarian(cost: list[list[float]]) -> list[int]:
    """The column given to each row that minimises the total cost, for n rows ≤ m columns (O(n² m))."""
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j]: the row (1-based) holding column j; column 0 is a sentinel
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        min_v = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            row = cost[i0 - 1]
            ui0 = u[i0]
            delta = inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    reduced = row[j - 1] - ui0 - v[j]
                    if reduced < min_v[j]:
                        min_v[j] = reduced
                        way[j] = j0
                    if min_v[j] < delta:
                        delta = min_v[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    min_v[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    chosen = [-1] * n
    for j in range(1, m + 1):
        if owner[j]:
            chosen[owner[j] - 1] = j - 1
    return chosen


def _greedy(edges: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """Pairs taken by increasing cost, each row and column once."""
    taken_rows: set[int] = set()
    taken_cols: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for row, col, _ in sorted(edges, key=lambda edge: edge[2]):
        if row not in taken_rows and col not in taken_cols:
            taken_rows.add(row)
            taken_cols.add(col)
            pairs.append((row, col))
    return pairs
