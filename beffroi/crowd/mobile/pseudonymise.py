"""Pseudonymisation at the door: subscriber identifiers become keyed hashes that change every key-day.

The pseudonym of an identifier is BLAKE2b (64-bit digest) keyed with the day key, itself HMAC-SHA256 of the
operator's secret and the key-day's date: pseudonyms are stable within a key-day, unrelated across days, and
cannot be recomputed without the secret. The keyed hash runs once per distinct identifier and day; a bounded
cache maps a fast 64-bit fingerprint of the identifier (never the identifier itself) to its pseudonym.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections import OrderedDict
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from beffroi.crowd.mobile.calendar import KeyCalendar
from beffroi.domain.signalling import SignallingBatch
from beffroi.errors import ConfigError

MIN_SECRET_BYTES = 16
"""The shortest secret taken (the mobile config reads it: `beffroi.config_mobile`)."""
_PERSON = b"beffroi-pseudo"
_FNV_PRIME = np.uint64(0x100000001B3)

Texts = npt.NDArray[np.str_] | pl.Series
U64 = npt.NDArray[np.uint64]


class _DayKey:
    """One key-day's hash key and its cache of fingerprint → pseudonym, kept sorted by fingerprint."""

    def __init__(self, secret: bytes, day: date, cache_size: int) -> None:
        self.key = hmac.new(secret, b"beffroi/crowd/mobile/pseudonym/" + day.isoformat().encode(), "sha256").digest()
        seed = hmac.new(self.key, b"fingerprint-seed", "sha256").digest()
        self.seed = int.from_bytes(seed[:8], "little") >> 1
        self.cache_size = cache_size
        self.fingerprints: U64 = np.zeros(0, dtype=np.uint64)
        self.pseudonyms: U64 = np.zeros(0, dtype=np.uint64)
        self.last_used: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.generation = 0
        self.hashed = 0

    def fingerprint(self, ids: Texts) -> U64:
        """A seeded 64-bit non-cryptographic hash of each identifier, only to find it in the cache."""
        if isinstance(ids, pl.Series):
            return ids.hash(seed=self.seed).to_numpy().astype(np.uint64, copy=False)
        return _fnv_fingerprint(ids, self.seed)

    def pseudonymise(self, ids: Texts) -> U64:
        fingerprints = self.fingerprint(ids)
        distinct, first, inverse = _distinct(fingerprints)
        self.generation += 1
        position = np.searchsorted(self.fingerprints, distinct)
        position_clipped = np.minimum(position, max(self.fingerprints.shape[0] - 1, 0))
        known = (
            self.fingerprints[position_clipped] == distinct
            if self.fingerprints.shape[0]
            else np.zeros(distinct.shape[0], dtype=bool)
        )
        values = np.empty(distinct.shape[0], dtype=np.uint64)
        values[known] = self.pseudonyms[position_clipped[known]]
        self.last_used[position_clipped[known]] = self.generation
        missing = np.flatnonzero(~known)
        if missing.size:
            values[missing] = self._keyed_hash(_texts_at(ids, first[missing]))
            self._remember(distinct[missing], values[missing])
        return values[inverse]

    def _keyed_hash(self, texts: list[str]) -> U64:
        self.hashed += len(texts)
        key = self.key
        blake = hashlib.blake2b
        digests = b"".join(blake(text.encode(), key=key, digest_size=8, person=_PERSON).digest() for text in texts)
        return np.frombuffer(digests, dtype="<u8").astype(np.uint64)

    def _remember(self, fingerprints: U64, pseudonyms: U64) -> None:
        fingerprints, pseudonyms = fingerprints[: self.cache_size], pseudonyms[: self.cache_size]
        if self.fingerprints.shape[0] + fingerprints.shape[0] > self.cache_size:
            keep = min(self.cache_size // 2, self.cache_size - fingerprints.shape[0])
            recent = np.sort(np.argsort(self.last_used, kind="stable")[-keep:]) if keep else np.zeros(0, np.intp)
            self.fingerprints = self.fingerprints[recent]
            self.pseudonyms = self.pseudonyms[recent]
            self.last_used = self.last_used[recent]
        at = np.searchsorted(self.fingerprints, fingerprints)
        self.fingerprints = np.insert(self.fingerprints, at, fingerprints)
        self.pseudonyms = np.insert(self.pseudonyms, at, pseudonyms)
        self.last_used = np.insert(self.last_used, at, self.generation)


def _fnv_fingerprint(ids: npt.NDArray[np.str_], seed: int) -> U64:
    """FNV-1a over 64-bit words of fixed-width numpy strings (UTF-32, padded), seeded, then a splitmix64 finish."""
    rows = ids.shape[0]
    texts = ids if ids.dtype.kind == "U" else ids.astype(np.str_)
    width = max(texts.dtype.itemsize // 4, 2)
    texts = np.ascontiguousarray(texts, dtype=f"<U{width + width % 2}")
    words = texts.view(np.uint64).reshape(rows, texts.dtype.itemsize // 8)
    hashed = np.full(rows, seed, dtype=np.uint64)
    for column in range(words.shape[1]):
        hashed ^= words[:, column]
        hashed *= _FNV_PRIME
    hashed ^= hashed >> np.uint64(30)
    hashed *= np.uint64(0xBF58476D1CE4E5B9)
    hashed ^= hashed >> np.uint64(27)
    hashed *= np.uint64(0x94D049BB133111EB)
    hashed ^= hashed >> np.uint64(31)
    return hashed


def _distinct(values: U64) -> tuple[U64, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The sorted distinct values, one position of each in `values`, and each value's index among the distinct."""
    order = np.argsort(values)
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    group = np.cumsum(np.concatenate(([False], ordered[1:] != ordered[:-1])), dtype=np.intp)
    inverse = np.empty(values.shape[0], dtype=np.intp)
    inverse[order] = group
    return ordered[starts], order[starts], inverse


def _texts_at(ids: Texts, positions: npt.NDArray[np.intp]) -> list[str]:
    if isinstance(ids, pl.Series):
        return [str(text) for text in ids.gather(positions).to_list()]
    return [str(text) for text in ids[positions].tolist()]


class Pseudonymiser:
    """Turns subscriber identifiers into daily pseudonyms (uint64); holds no identifier, logs none."""

    def __init__(self, secret: bytes, calendar: KeyCalendar | None = None, cache_size: int = 4_000_000) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigError("pseudonymisation secret", [f"needs at least {MIN_SECRET_BYTES} bytes"])
        self.calendar = calendar or KeyCalendar()
        self._secret = secret
        self._cache_size = cache_size
        self._days: OrderedDict[date, _DayKey] = OrderedDict()

    def __repr__(self) -> str:
        return f"Pseudonymiser(timezone={self.calendar.timezone!r}, days_held={len(self._days)})"

    @property
    def keyed_hashes(self) -> int:
        """How many times the keyed hash ran (once per distinct identifier and day while it stays cached)."""
        return sum(day.hashed for day in self._days.values())

    @property
    def cache_bytes(self) -> int:
        """Bytes held by the pseudonym caches."""
        return sum(
            day.fingerprints.nbytes + day.pseudonyms.nbytes + day.last_used.nbytes for day in self._days.values()
        )

    def pseudonyms(self, ids: Texts, ts: npt.NDArray[np.float64]) -> U64:
        """The pseudonym of each identifier under the key of the key-day of its instant `ts`."""
        if len(ids) != ts.shape[0]:
            raise ValueError("ids and ts differ in length")
        days, day_index = self.calendar.days_of(ts)
        if len(days) == 1:
            return self._day(days[0]).pseudonymise(ids)
        out = np.empty(ts.shape[0], dtype=np.uint64)
        for position, day in enumerate(days):
            rows = np.flatnonzero(day_index == position)
            if rows.size:
                part = ids.gather(rows) if isinstance(ids, pl.Series) else ids[rows]
                out[rows] = self._day(day).pseudonymise(part)
        return out

    def pseudonymise(self, batch: SignallingBatch) -> SignallingBatch:
        """The batch with its identifiers replaced by pseudonyms (a batch already pseudonymised is refused)."""
        if batch.subscriber.dtype == np.uint64:
            raise ValueError("batch is already pseudonymised")
        texts = np.asarray(batch.subscriber).astype(np.str_, copy=False)
        return dataclasses.replace(batch, subscriber=self.pseudonyms(texts, batch.ts))

    def _day(self, day: date) -> _DayKey:
        key = self._days.get(day)
        if key is None:
            key = self._days[day] = _DayKey(self._secret, day, self._cache_size)
            while len(self._days) > 2:
                self._days.popitem(last=False)
        return key
