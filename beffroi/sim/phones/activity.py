"""What the phones say to the network in one minute: periodic updates on each phone's own T3412 phase, calls, SMS
and bursts of data sessions at each phone's rate, handovers of the phones that changed cell, attaches of the phones
arriving, detaches of the few switched off when leaving. One Poisson draw for the whole minute, phones picked in
proportion to their rate: the work grows with the records, not the phones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.domain.signalling import SignallingEvent
from beffroi.sim.phones.movement import Moves
from beffroi.sim.phones.pool import T3412_MINUTES, PhonePool
from beffroi.sim.phones.population import (
    CALL_PER_HOUR,
    DATA_BURST_EXTRA,
    DATA_BURST_GAP_S,
    DATA_SESSIONS_PER_HOUR,
    DETACH_SHARE,
    HANDOVER_SHARE,
    SMS_PER_HOUR,
)

MINUTE = 60.0
DATA_BURST_SPAN_S = 2 * MINUTE
"""A data burst's records fall within this long of its first (so the records of a minute depend on the two before)."""
_TOTAL_PER_HOUR = CALL_PER_HOUR + SMS_PER_HOUR + DATA_SESSIONS_PER_HOUR
_CALL_SHARE = CALL_PER_HOUR / _TOTAL_PER_HOUR
_SMS_SHARE = SMS_PER_HOUR / _TOTAL_PER_HOUR


@dataclass(frozen=True, slots=True)
class Records:
    """A minute's records in time order: when, which phone (pool index), what (SignallingEvent code)."""

    ts: npt.NDArray[np.float64]
    phone: npt.NDArray[np.int64]
    event: npt.NDArray[np.uint8]


def _codes(count: int, event: SignallingEvent) -> npt.NDArray[np.uint8]:
    return np.full(count, int(event), dtype=np.uint8)


def _bursts(
    start: npt.NDArray[np.float64], phone: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The extra data records following each data session's first, DATA_BURST_GAP_S apart on average (cut at
    DATA_BURST_SPAN_S)."""
    extra = rng.poisson(DATA_BURST_EXTRA, int(start.shape[0]))
    total = int(extra.sum())
    gaps = rng.exponential(DATA_BURST_GAP_S, total)
    elapsed = np.cumsum(gaps)
    first = np.repeat(np.cumsum(extra) - extra, extra)
    within = elapsed - (elapsed[first] - gaps[first]) if total else elapsed
    owner = np.repeat(np.arange(start.shape[0]), extra)
    kept = within < DATA_BURST_SPAN_S
    return start[owner][kept] + within[kept], phone[owner][kept]


def _sorted_uniform(count: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """`count` sorted uniform numbers in [0, 1), drawn in linear time."""
    gaps = rng.exponential(1.0, count + 1)
    total = float(gaps.sum())
    return np.cumsum(gaps[:-1]) / total


def no_records() -> Records:
    """No records (nothing carried over yet)."""
    return Records(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8))


def minute_records(
    pool: PhonePool, moves: Moves, t: float, usage: float, rng: np.random.Generator, carried: Records
) -> tuple[Records, Records]:
    """Every record of the minute starting at `t`, sorted by time (`usage`: the hour's activity, 0 to 1), and the
    data records of bursts running on into the next minutes. `carried`: those of the minutes before (the ones of
    phones that left the area since are dropped)."""
    minute = int(t // MINUTE) % T3412_MINUTES
    due = np.flatnonzero(pool.slot_minute == minute)
    ts = [t + pool.slot_second[due].astype(np.float64)]
    phone = [pool.slot_phone[due]]
    event = [_codes(due.shape[0], SignallingEvent.PERIODIC_UPDATE)]

    cumulative = np.cumsum(pool.slot_rate, dtype=np.float64)
    total = float(cumulative[-1]) if cumulative.shape[0] else 0.0
    count = int(rng.poisson(total * usage / 60.0)) if total > 0 else 0
    pick = np.minimum(
        np.searchsorted(cumulative, _sorted_uniform(count, rng) * total, side="right"), cumulative.shape[0] - 1
    )
    kind_u = rng.random(count)
    picked_category = pool.slot_group[pick] % len(CALL_PER_HOUR)
    call = kind_u < _CALL_SHARE[picked_category]
    sms = ~call & (kind_u < _CALL_SHARE[picked_category] + _SMS_SHARE[picked_category])
    data = ~call & ~sms
    when = t + rng.random(count) * MINUTE
    who = pool.slot_phone[pick]
    kinds = np.where(
        call, int(SignallingEvent.CALL), np.where(sms, int(SignallingEvent.SMS), int(SignallingEvent.DATA))
    )
    ts.append(when)
    phone.append(who)
    event.append(kinds.astype(np.uint8))
    burst_ts, burst_phone = _bursts(when[data], who[data], rng)
    burst_ts = np.concatenate([carried.ts, burst_ts])
    burst_phone = np.concatenate([carried.phone, burst_phone])
    inside = (burst_ts < t + MINUTE) & (pool.place[burst_phone] >= 0)
    later = burst_ts >= t + MINUTE
    ts.append(burst_ts[inside])
    phone.append(burst_phone[inside])
    event.append(_codes(int(inside.sum()), SignallingEvent.DATA))
    spill = Records(burst_ts[later], burst_phone[later], _codes(int(later.sum()), SignallingEvent.DATA))

    changed = moves.moved[
        (moves.moved_to_cell != moves.moved_from_cell) & (rng.random(moves.moved.shape[0]) < HANDOVER_SHARE)
    ]
    detached = moves.exited[rng.random(moves.exited.shape[0]) < DETACH_SHARE]
    for phones, code in (
        (changed, SignallingEvent.HANDOVER),
        (moves.entered, SignallingEvent.ATTACH),
        (detached, SignallingEvent.DETACH),
    ):
        ts.append(t + rng.random(phones.shape[0]) * MINUTE)
        phone.append(phones)
        event.append(_codes(phones.shape[0], code))

    millis = np.minimum(np.floor((np.concatenate(ts) - t) * 1000.0), MINUTE * 1000 - 1).astype(np.uint16)
    order = np.argsort(millis, kind="stable")
    records = Records(t + millis[order] / 1000.0, np.concatenate(phone)[order], np.concatenate(event)[order])
    return records, spill
