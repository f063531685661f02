"""Deterministic random numbers derived from the run's seed and a name, independent of Python's hash salt."""

from __future__ import annotations

import hashlib
import random

_SCALE = 1.0 / 2**64


def derive_seed(seed: int, *parts: object) -> int:
    """A 64-bit seed for the named stream `parts` (e.g. a device id) of the run seeded with `seed`."""
    text = ":".join([str(seed), *(str(part) for part in parts)])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) fixed by the seed and the name: the same inputs always give the same number."""
    return derive_seed(seed, *parts) * _SCALE


def stream(seed: int, *parts: object) -> random.Random:
    """A random generator of its own for the named stream, so one stream's draws never shift another's."""
    return random.Random(derive_seed(seed, *parts))
