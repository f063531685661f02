"""What the per-device rule detectors (threshold, rate of change, stuck value) share: rules compiled for the hot
path and indexed by device kind and metric, one state per (rule, device), the alarm key and condition of a rule on
a device, and the memory of alarms restored active after a restart or left behind by a device that went away."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.rule_index import RuleIndex


class MetricRule(Protocol):
    """A rule on one metric of devices (of one kind, or of any)."""

    @property
    def name(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def device_kind(self) -> str | None: ...
    @property
    def priority(self) -> int: ...
    @property
    def effective_alarm_type(self) -> str: ...
    def describe(self) -> str: ...


class RuleState(Protocol):
    """Where one rule stands on one device: whether its condition is active (None: not decided yet) and the key of
    the alarm it raised."""

    active: bool | None
    key: AlarmKey | None


RuleT = TypeVar("RuleT", bound=MetricRule)
StateT = TypeVar("StateT", bound=RuleState)


class CompiledRule(Generic[RuleT, StateT]):
    """A rule ready for the hot path, with the state of each device it watches (by device id)."""

    def __init__(self, rule: RuleT) -> None:
        self.rule = rule
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()
        self.states: dict[str, StateT] = {}

    def key(self, device: Device) -> AlarmKey:
        """The key of this rule's alarm on the device."""
        return AlarmKey(device.tenant_id, device.id, self.type, device.site_id, device.zone_id)


CompiledT = TypeVar("CompiledT", bound=CompiledRule)  # type: ignore[type-arg]


class PerDeviceRuleDetector(Detector, Generic[RuleT, CompiledT]):
    """A detector of rules on one metric of each device. Subclasses decide what a reading does to a rule's state
    (`_advance`); the rest is here."""

    infinite_values = False
    """Whether ±inf readings reach `_advance` (a saturated sensor beyond any limit); NaN never does."""

    def __init__(self, compiled: Sequence[CompiledT], name: str) -> None:
        self.name = name
        self._rules = list(compiled)
        self._index = RuleIndex([(c.rule.device_kind, c.rule.metric, c) for c in self._rules])
        self._restored: set[str] = set()

    @property
    def rules(self) -> list[RuleT]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules."""
        return frozenset(compiled.rule.metric for compiled in self._rules)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Advance each matching rule's state with the reading; report the state changes."""
        rules = self._index.lookup(device.kind, reading.metric)
        if rules is None:
            return NO_CONDITIONS
        ts, value = reading.ts, reading.value
        if not math.isfinite(ts) or math.isnan(value) or (math.isinf(value) and not self.infinite_values):
            return NO_CONDITIONS
        conditions: list[Condition] | None = None
        for compiled in rules:
            changed = self._advance(compiled, device, ts, value)
            if changed is not None:
                conditions = conditions or []
                conditions.append(changed)
        return conditions or NO_CONDITIONS

    @abstractmethod
    def _advance(self, compiled: CompiledT, device: Device, ts: float, value: float) -> Condition | None:
        """What a reading does to the rule's state on the device: the condition when it changed."""

    def _condition(self, compiled: CompiledT, device: Device, active: bool, ts: float, value: float) -> Condition:
        return Condition(
            key=compiled.key(device),
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
            value=value,
        )

    def _take_restored(self, compiled: CompiledT, device: Device) -> AlarmKey | None:
        """The key of the rule's alarm on the device when it was restored active (once: it is forgotten)."""
        if not self._restored:
            return None
        key = compiled.key(device)
        key_text = key.as_text()
        if key_text not in self._restored:
            return None
        self._restored.discard(key_text)
        return key

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget the state of devices that left the registry. An active condition is remembered like a restored
        alarm, so if the device comes back, the reading that ends the condition still returns the alarm to normal."""
        for compiled in self._rules:
            for device_id in [d for d in compiled.states if d not in devices]:
                state = compiled.states.pop(device_id)
                if state.active and state.key is not None:
                    self._restored.add(state.key.as_text())

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Remember the open alarms with an active condition of the types these rules raise."""
        types = {compiled.type for compiled in self._rules}
        self._restored.update(a.key.as_text() for a in alarms if a.condition_active and a.key.type in types)
