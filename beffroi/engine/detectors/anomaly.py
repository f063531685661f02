"""Anomaly detector: streaming anomaly algorithms, one model per (rule, device), their scores turned into alarms.

Each anomaly rule names a metric (and optionally a device kind) and an algorithm of `beffroi.engine.anomaly`
(`seasonal`, `hst`); every matching series gets its own model, created at its first reading, which learns the
series without labels and scores each reading in [0, 1] (`score_of`). The rule's condition becomes active when
the score has stayed at or above the threshold for `min_points` consecutive readings and `for_s` seconds, and
returns to normal at the first reading scoring below `clear_below` (half the threshold by default). Readings
older than the last one of their series, and non-finite values, are ignored.

After a restart the models start afresh (they learn again, scoring 0 during their warm-up): an alarm restored
active returns to normal at its series' first reading scoring below the clear level. A device that leaves the
registry takes its models with it, so memory follows the registry.

Registered as the engine detector kind "anomaly" (it reads `anomaly_rules` from the detector settings) and as
the series detectors "anomaly_seasonal" and "anomaly_hst" of `beffroi detect`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import msgspec

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.anomaly.hst import HalfSpaceParams
from beffroi.engine.anomaly.models import PARAM_HELP, ModelFactory, SeriesModel
from beffroi.engine.anomaly.rules import DEFAULT_THRESHOLD, AnomalyRule
from beffroi.engine.anomaly.seasonal import SeasonalParams
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.series import SERIES_METRIC, SeriesDetectorSpec, register_series_detector
from beffroi.engine.detectors.series_params import parse_series_params
from beffroi.engine.rules import DetectorSettings

KIND = "anomaly"
MAX_ABS_VALUE = 1e15
"""Readings beyond this magnitude are not sensor values; they are ignored rather than learned."""


class _Series:
    """One series' model and where its alarm stands."""

    __slots__ = ("active", "key", "last_ts", "model", "run", "since")

    def __init__(self, model: SeriesModel) -> None:
        self.model = model
        self.active = False
        self.run = 0
        self.since = math.nan
        self.last_ts = -math.inf
        self.key: AlarmKey | None = None


class _CompiledRule:
    __slots__ = ("clear", "factory", "message", "priority", "rule", "series", "type")

    def __init__(self, rule: AnomalyRule) -> None:
        self.rule = rule
        self.factory: ModelFactory = rule.model_factory()
        self.clear = rule.clear_level
        self.priority = Priority(rule.priority)
        self.type = rule.alarm_type
        self.message = rule.describe()
        self.series: dict[str, _Series] = {}


RuleIndex = dict[str, tuple[_CompiledRule, ...]]


class AnomalyDetector(Detector):
    """Evaluates anomaly rules on every reading (see the module docstring); implements `Scoring`."""

    def __init__(self, rules: Sequence[AnomalyRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(rule) for rule in rules]
        self._by_kind: dict[str, RuleIndex] = {}
        self._generic: RuleIndex = {}
        self._latest: dict[str, dict[str, float]] = {}
        self._restored: set[str] = set()
        self._build_index()

    @property
    def rules(self) -> list[AnomalyRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules."""
        return frozenset(compiled.rule.metric for compiled in self._rules)

    @property
    def series_count(self) -> int:
        """How many series have a model."""
        return sum(len(compiled.series) for compiled in self._rules)

    @property
    def nbytes(self) -> int:
        """Bytes held by the series' models (the bounded part of this detector's memory)."""
        return sum(state.model.nbytes for compiled in self._rules for state in compiled.series.values())

    def _build_index(self) -> None:
        generic: dict[str, list[_CompiledRule]] = {}
        specific: dict[str, dict[str, list[_CompiledRule]]] = {}
        for compiled in self._rules:
            kind = compiled.rule.device_kind
            table = generic if kind is None else specific.setdefault(kind, {})
            table.setdefault(compiled.rule.metric, []).append(compiled)
        self._generic = {metric: tuple(rules) for metric, rules in generic.items()}
        for kind in {k.value for k in DeviceKind} | set(specific):
            merged = {metric: list(rules) for metric, rules in generic.items()}
            for metric, rules in specific.get(kind, {}).items():
                merged.setdefault(metric, []).extend(rules)
            self._by_kind[kind] = {metric: tuple(rules) for metric, rules in merged.items()}

    def score_of(self, device_id: str, metric: str) -> float | None:
        """The score of the series' latest reading (the highest of its rules'); None before its first reading."""
        return self._latest.get(device_id, {}).get(metric)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Score the reading with each rule's model of its series; report the alarm changes."""
        rules = self._by_kind.get(device.kind, self._generic).get(reading.metric)
        if rules is None:
            return NO_CONDITIONS
        ts = reading.ts
        value = reading.value
        if not (math.isfinite(ts) and math.isfinite(value) and abs(value) <= MAX_ABS_VALUE):
            return NO_CONDITIONS
        conditions: list[Condition] | None = None
        device_id = device.id
        best: float | None = None
        for compiled in rules:
            state = compiled.series.get(device_id)
            if state is None:
                state = compiled.series[device_id] = _Series(compiled.factory())
            elif ts <= state.last_ts:
                continue
            state.last_ts = ts
            score = state.model.update(ts, value)
            best = score if best is None else max(best, score)
            changed = self._advance(compiled, state, device, score, ts, value)
            if changed is not None:
                conditions = conditions or []
                conditions.append(changed)
        if best is not None:
            self._latest.setdefault(device_id, {})[reading.metric] = best
        return conditions or NO_CONDITIONS

    def _advance(
        self, compiled: _CompiledRule, state: _Series, device: Device, score: float, ts: float, value: float
    ) -> Condition | None:
        """Move the series' alarm on this score; the condition that changed, if any."""
        rule = compiled.rule
        if score >= rule.threshold:
            state.run += 1
            if state.run == 1:
                state.since = ts
        else:
            state.run = 0
            state.since = math.nan
        if state.active:
            if score < compiled.clear:
                state.active = False
                return self._condition(compiled, device, False, ts, value)
            return None
        if state.run >= rule.min_points and ts - state.since >= rule.for_s:
            state.active = True
            raised = self._condition(compiled, device, True, ts, value)
            state.key = raised.key
            return raised
        if self._restored and score < compiled.clear:
            key_text = _key(compiled, device).as_text()
            if key_text in self._restored:
                self._restored.discard(key_text)
                return self._condition(compiled, device, False, ts, value)
        return None

    def _condition(self, compiled: _CompiledRule, device: Device, active: bool, ts: float, value: float) -> Condition:
        return Condition(
            key=_key(compiled, device),
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
            value=value,
        )

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget the models of devices that left the registry (an active alarm is remembered as restored)."""
        for compiled in self._rules:
            for device_id in [d for d in compiled.series if d not in devices]:
                state = compiled.series.pop(device_id)
                if state.active and state.key is not None:
                    self._restored.add(state.key.as_text())
        for device_id in [d for d in self._latest if d not in devices]:
            del self._latest[device_id]

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Remember the open alarms with an active condition of the types these rules raise."""
        types = {compiled.type for compiled in self._rules}
        self._restored.update(a.key.as_text() for a in alarms if a.condition_active and a.key.type in types)


def _key(compiled: _CompiledRule, device: Device) -> AlarmKey:
    return AlarmKey(device.tenant_id, device.id, compiled.type, device.site_id, device.zone_id)


def _create(settings: DetectorSettings) -> Detector:
    rules: Sequence[AnomalyRule] = getattr(settings, "anomaly_rules", ())
    return AnomalyDetector(rules)


register_detector(KIND, _create)


# --- `beffroi detect --detector anomaly_seasonal|anomaly_hst` ----------------------------------------------------


class _AlarmOptions(msgspec.Struct, frozen=True):
    threshold: float = DEFAULT_THRESHOLD
    clear_below: float | None = None
    min_points: int = 1
    for_s: float = 0.0


PARAM_TYPES: dict[str, type[SeasonalParams] | type[HalfSpaceParams]] = {
    "seasonal": SeasonalParams,
    "hst": HalfSpaceParams,
}
UNSET = ("", "none", "default")
"""`--param` values that leave a parameter at its default (as `parse_series_params` reads them)."""
ALARM_PARAM_HELP: dict[str, str] = {
    "threshold": f"score at or above which a reading counts towards an alarm (default {DEFAULT_THRESHOLD:g})",
    "clear_below": "score below which an alarm returns to normal (default: half the threshold)",
    "min_points": "consecutive readings at or above the threshold before the alarm (default 1)",
    "for_s": "seconds the score must stay at or above the threshold before the alarm (default 0)",
}


def series_factory(algorithm: str) -> SeriesDetectorSpec:
    """The `beffroi detect` spec of `algorithm`: alarm options and the algorithm's own parameters."""
    name = f"anomaly_{algorithm}"

    documented = {**ALARM_PARAM_HELP, **PARAM_HELP[algorithm]}
    params_type = PARAM_TYPES[algorithm]

    def build(params: Mapping[str, str]) -> Detector:
        alarm_params = {key: text for key, text in params.items() if key in ALARM_PARAM_HELP}
        algorithm_params = {key: text for key, text in params.items() if key not in ALARM_PARAM_HELP}
        options = parse_series_params(name, alarm_params, _AlarmOptions, documented)
        typed = parse_series_params(name, algorithm_params, params_type, documented)
        given = [key for key, text in algorithm_params.items() if text.strip().lower() not in UNSET]
        rule = AnomalyRule(
            name=name,
            metric=SERIES_METRIC,
            algorithm=algorithm,
            threshold=options.threshold,
            clear_below=options.clear_below,
            min_points=options.min_points,
            for_s=options.for_s,
            params={key: getattr(typed, key) for key in given},
        )
        return AnomalyDetector([rule], name=name)

    descriptions = {
        "seasonal": "robust seasonal baseline (daily and weekly profiles, slow level; innovation, offset, CUSUM and "
        "stuck-value statistics); score in [0, 1] per point",
        "hst": "half-space trees over the seasonal baseline's statistics and the time of day; "
        "score in [0, 1] per point",
    }
    return SeriesDetectorSpec(
        name=name,
        factory=build,
        description=descriptions[algorithm],
        params=documented,
    )


SEASONAL_SERIES = series_factory("seasonal")
HST_SERIES = series_factory("hst")
register_series_detector(SEASONAL_SERIES)
register_series_detector(HST_SERIES)
