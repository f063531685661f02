"""One zone's people present, fused from every source by a small Kalman filter.

State: the people present N, their rate of change r (people/s) and the counters' drift c (their running balance
minus N). Between figures N follows r with process noise that grows with the time elapsed; the counters' balance
is read as N + c with c slow, so counters carry the changes and every level figure (occupancy, video, mobile)
re-anchors N and, through it, corrects the drift. Late figures (a mobile slot published minutes after its end) are
compared with what the filter estimated then, and the gap is applied now with an error grown by their age.
Each source's weight is its share of the figure's precision: an update credits the source with the precision it
added, and every prediction scales all credits down by the precision lost, so old figures fade.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from beffroi.crowd.fusion.observations import (
    FusedZoneDensity,
    SourceKind,
    SourceWeight,
    ZoneCountObservation,
    ZoneFlowObservation,
)
from beffroi.crowd.fusion.settings import FusionSettings, FusionZone, error_memory_s, level_sd

Matrix = list[list[float]]
LEVEL = (1.0, 0.0, 0.0)
BALANCE = (1.0, 0.0, 1.0)
MIN_WEIGHT = 0.005
PAST_GRID_POINTS = 16


class ZoneFilter:
    """The fused people count of one zone; memory bounded by the settings (history, flow window, sources)."""

    def __init__(self, zone: FusionZone, settings: FusionSettings) -> None:
        self.zone = zone
        self._settings = settings
        scale = zone.scale
        self._q_level = (settings.level_walk * scale) ** 2 / 3600.0
        self._q_accel = (settings.rate_walk * scale / 3600.0) ** 2 / 3600.0
        self._q_drift = (settings.counter_drift_walk * scale) ** 2 / 3600.0
        self.t: float | None = None
        self.x: list[float] = [0.0, 0.0, 0.0]
        self.p: Matrix = [[scale**2, 0.0, 0.0], [0.0, (scale / 3600.0) ** 2, 0.0], [0.0, 0.0, 0.0]]
        self._prior_credit = 1.0 / self.p[0][0]
        self._forgotten_at = -math.inf
        self._credits: dict[str, float] = {}
        self._kinds: dict[str, SourceKind] = {}
        self._last_ts: dict[str, float] = {}
        self.newest_ts: float | None = None
        self._balance: float | None = None
        self._last_counter_ts: float | None = None
        self._history: deque[tuple[float, float]] = deque(maxlen=int(settings.history_s / settings.history_step_s) + 2)
        self._flows: deque[tuple[float, float, float]] = deque(maxlen=4096)

    # -- inputs ---------------------------------------------------------------------------------------------------

    def observe_count(self, obs: ZoneCountObservation) -> bool:
        """Take one level figure (or a withheld one, as an upper bound); False when it changed nothing."""
        self._advance(obs.ts)
        assert self.t is not None
        start = obs.ts - obs.window_s
        age = self.t - (obs.ts - obs.window_s / 2.0)
        late = obs.window_s > 0 or age > self._settings.history_step_s
        past = self._past_mean(start, obs.ts) if late else self.x[0]
        shift = self.x[0] - past
        extra = self._change_var(age) if late else 0.0
        if obs.people is None:
            bound = obs.upper_bound
            if bound is None or not self._settings.use_suppressed_as_bound or past <= bound:
                return False
            z = bound
        else:
            z = obs.people
        reference = 0.5 * (z + max(past, 0.0)) if self._informed() else z
        sd = obs.sd if obs.sd is not None else level_sd(self._settings, obs.kind, reference, obs.covered_fraction)
        variance = sd * sd * self._correlation_factor(obs)
        self._update(LEVEL, z + shift, variance + extra, obs.source, obs.kind, obs.ts)
        return True

    def observe_flow(self, obs: ZoneFlowObservation) -> bool:
        """Take one device's people in and out; counters' flows move the running balance and update the count."""
        self._advance(obs.ts)
        self._flows.append((obs.ts - max(obs.interval_s, 0.0), obs.ts, obs.entered + obs.left))
        self._prune_flows(obs.ts)
        self._newest(obs.ts)
        if obs.kind is not SourceKind.COUNTER:
            return True
        settings = self._settings
        if (
            self._balance is not None
            and self._last_counter_ts is not None
            and obs.ts - self._last_counter_ts > settings.counter_gap_s
        ):
            self._balance = None
        self._last_counter_ts = max(obs.ts, self._last_counter_ts or obs.ts)
        if self._balance is None:
            self._start_balance()
        assert self._balance is not None
        balance = self._balance + obs.entered - obs.left
        if balance < 0.0:  # floored at 0: the counters lost track by that much, their drift jumps
            self.x[2] -= balance
            self.p[2][2] += balance * balance
            balance = 0.0
        self.p[2][2] += settings.counter_drift_var_per_passage * (obs.entered + obs.left)
        self._balance = balance
        self._update(BALANCE, balance, settings.counter_sd**2, obs.source, obs.kind, obs.ts)
        return True

    # -- output ---------------------------------------------------------------------------------------------------

    def estimate(self, now: float) -> FusedZoneDensity:
        """The fused figure at `now` (predicted from the last update; never before it)."""
        x, p = self.x, self.p
        t = now
        if self.t is not None and now > self.t:
            x, p = self._predicted(now - self.t)
        elif self.t is not None:
            t = self.t
        people = max(x[0], 0.0)
        sd = math.sqrt(max(p[0][0], 0.0))
        area = self.zone.area_m2
        return FusedZoneDensity(
            zone_id=self.zone.zone_id,
            ts=t,
            people=people,
            people_sd=sd,
            density=people / area,
            density_sd=sd / area,
            area_m2=area,
            net_rate_per_min=x[1] * 60.0,
            flow_per_min=self.flow_per_min(t),
            counter_drift=x[2] if self._balance is not None else None,
            newest_observation_ts=self.newest_ts,
            sources=self.weights(),
        )

    def weights(self) -> list[SourceWeight]:
        """Each source's share of the current figure's precision, largest first (the rest is the initial guess)."""
        total = self._prior_credit + sum(self._credits.values())
        if total <= 0.0:
            return []
        out = [
            SourceWeight(name, self._kinds[name], credit / total, self._last_ts[name])
            for name, credit in self._credits.items()
            if credit / total >= MIN_WEIGHT
        ]
        return sorted(out, key=lambda w: -w.weight)

    def flow_per_min(self, now: float) -> float | None:
        """People through the zone's counters and turnstiles per minute over the recent window; None without any."""
        window = self._settings.flow_window_s
        self._prune_flows(now)
        recent = [(start, passages) for start, end, passages in self._flows if end > now - window]
        if not recent:
            return None
        covered = min(window, now - min(start for start, _ in recent))
        if covered <= 0.0:
            return None
        return sum(passages for _, passages in recent) / covered * 60.0

    def _prune_flows(self, now: float) -> None:
        while self._flows and self._flows[0][1] < now - self._settings.flow_window_s:
            self._flows.popleft()

    # -- the filter -----------------------------------------------------------------------------------------------

    def _advance(self, ts: float) -> None:
        if self.t is None:
            self.t = ts
        elif ts > self.t:
            before = self.p[0][0]
            self.x, self.p = self._predicted(ts - self.t)
            self.t = ts
            ratio = before / self.p[0][0] if self.p[0][0] > 0 else 1.0
            self._prior_credit *= ratio
            for name in self._credits:
                self._credits[name] *= ratio

    def _predicted(self, dt: float) -> tuple[list[float], Matrix]:
        """State and covariance `dt` seconds on: N moves by the rate, which fades towards 0 (its memory τ);
        white noise on N and on the rate's change, and on c while counters run."""
        (p00, p01, p02), (_, p11, p12), (_, _, p22) = self.p
        tau, qa = self._settings.rate_memory_s, self._q_accel
        e = math.exp(-dt / tau)
        a = tau * (1.0 - e)
        half = tau / 2.0 * (1.0 - e * e)
        n00 = p00 + 2.0 * a * p01 + a * a * p11 + self._change_var(dt)
        n01 = e * p01 + a * e * p11 + qa * tau * (a - half)
        n02 = p02 + a * p12
        n11 = e * e * p11 + qa * half
        n12 = e * p12
        n22 = p22 + (self._q_drift * dt if self._balance is not None else 0.0)
        x = [self.x[0] + a * self.x[1], e * self.x[1], self.x[2]]
        return x, [[n00, n01, n02], [n01, n11, n12], [n02, n12, n22]]

    def _update(
        self, h: tuple[float, float, float], z: float, r: float, source: str, kind: SourceKind, ts: float
    ) -> None:
        p, x = self.p, self.x
        before = p[0][0]
        ph = [p[i][0] * h[0] + p[i][1] * h[1] + p[i][2] * h[2] for i in range(3)]
        s = ph[0] * h[0] + ph[1] * h[1] + ph[2] * h[2] + r
        if s <= 0.0:
            return
        innovation = z - (x[0] * h[0] + x[1] * h[1] + x[2] * h[2])
        gain = [v / s for v in ph]
        self.x = [x[i] + gain[i] * innovation for i in range(3)]
        self.p = [[p[i][j] - gain[i] * ph[j] for j in range(3)] for i in range(3)]
        for i in range(3):
            for j in range(i):
                self.p[i][j] = self.p[j][i] = (self.p[i][j] + self.p[j][i]) / 2.0
        self.p[0][0] = max(self.p[0][0], 1e-6)
        self.x[0] = max(self.x[0], 0.0)
        self._credit(source, kind, ts, max(1.0 / self.p[0][0] - 1.0 / before, 0.0))
        self._remember()

    def _start_balance(self) -> None:
        """Start the counters' running balance at the fused figure: their drift is then exactly minus N's error."""
        start = max(self.x[0], 0.0)
        self._balance = start
        self.x[2] = start - self.x[0]
        self.p[2][2] = self.p[0][0] + self._settings.counter_sd**2
        self.p[0][2] = self.p[2][0] = -self.p[0][0]
        self.p[1][2] = self.p[2][1] = -self.p[0][1]

    def _change_var(self, age: float) -> float:
        """How much the people present may change, unseen, over `age` seconds from a known rate (variance)."""
        age = max(age, 0.0)
        tau = self._settings.rate_memory_s
        e = math.exp(-age / tau)
        rate_part = tau * tau * (age - 2.0 * tau * (1.0 - e) + tau / 2.0 * (1.0 - e * e))
        return self._q_level * age + self._q_accel * max(rate_part, 0.0)

    def _correlation_factor(self, obs: ZoneCountObservation) -> float:
        """How many figures of this source share one error: its error memory over the time since its last figure."""
        memory = error_memory_s(self._settings, obs.kind)
        last = self._last_ts.get(obs.source)
        interval = max(obs.ts - last, obs.window_s, 1.0) if last is not None else memory
        return max(memory / interval, 1.0)

    def _past_mean(self, start: float, end: float) -> float:
        """The filter's own mean figure over [start, end] (its value at `end` for an instant)."""
        assert self.t is not None
        times = [t for t, _ in self._history] + [self.t]
        values = [n for _, n in self._history] + [self.x[0]]
        if end <= start:
            return float(np.interp(end, times, values))
        grid = np.linspace(start, end, PAST_GRID_POINTS)
        return float(np.interp(grid, times, values).mean())

    def _remember(self) -> None:
        assert self.t is not None
        entry = (self.t, self.x[0])
        if len(self._history) > 1 and self.t - self._history[-2][0] < self._settings.history_step_s:
            self._history[-1] = entry
        else:
            self._history.append(entry)

    def _informed(self) -> bool:
        return bool(self._credits)

    def _newest(self, ts: float) -> None:
        self.newest_ts = ts if self.newest_ts is None else max(self.newest_ts, ts)

    def _credit(self, source: str, kind: SourceKind, ts: float, gain: float) -> None:
        self._credits[source] = self._credits.get(source, 0.0) + gain
        self._kinds[source] = kind
        self._last_ts[source] = max(ts, self._last_ts.get(source, ts))
        self._newest(ts)
        if len(self._credits) > self._settings.max_sources or ts - self._forgotten_at > 60.0:
            self._forgotten_at = ts
            self._forget()

    def _forget(self) -> None:
        """Drop sources silent for too long, and the weakest beyond the maximum count."""
        assert self.t is not None
        settings = self._settings
        stale = [name for name, ts in self._last_ts.items() if ts < self.t - settings.forget_source_after_s]
        if len(self._credits) > settings.max_sources:
            ranked = sorted(self._credits, key=self._credits.__getitem__)
            stale += ranked[: len(self._credits) - settings.max_sources]
        for name in set(stale):
            self._prior_credit += self._credits.pop(name, 0.0)
            self._kinds.pop(name, None)
            self._last_ts.pop(name, None)
