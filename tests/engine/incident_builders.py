"""Builders shared by the incident tests: alarms and their changes, counters for ids, and a correlation harness."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from pathlib import Path

from beffroi.domain.alarms import Alarm, AlarmKey, Priority, acknowledge, raise_alarm
from beffroi.domain.incidents import Incident
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentChange
from beffroi.domain.observations import Position
from beffroi.engine.correlation import Correlator, OpenIncidents
from beffroi.engine.correlation_rules import CorrelationRules, parse_rules

TENANT = "city"
SITE = "stadium"
T0 = 1_722_002_400.0


def counter(prefix: str = "id") -> Callable[[], str]:
    """Ids `prefix-0`, `prefix-1`…"""
    numbers = itertools.count()
    return lambda: f"{prefix}-{next(numbers)}"


def alarm(
    alarm_id: str,
    alarm_type: str,
    ts: float,
    *,
    zone: str | None = "gate-a",
    site: str | None = SITE,
    source: str | None = None,
    priority: Priority = Priority.MEDIUM,
    tenant: str = TENANT,
) -> Alarm:
    """An unacknowledged alarm raised at `ts` (its source defaults to one device per alarm)."""
    key = AlarmKey(tenant, source or f"dev-{alarm_id}", alarm_type, site, zone)
    return raise_alarm(alarm_id, key, priority, f"{alarm_type} at {zone}", ts)


def raised(item: Alarm) -> AlarmChange:
    """The change raising the alarm."""
    return AlarmChange(AlarmChangeKind.RAISED, item)


def acknowledged(item: Alarm, ts: float, actor: str = "op-1") -> AlarmChange:
    """The change acknowledging the alarm at `ts`."""
    return AlarmChange(AlarmChangeKind.ACKNOWLEDGED, acknowledge(item, ts, actor), actor)


FIXTURE_RULES = parse_rules(
    (Path(__file__).parent / "correlation_fixture.yaml").read_text(encoding="utf-8"), "correlation_fixture.yaml"
)
"""The rules the correlation tests are written against (a frozen copy of an earlier default: the shipped defaults
may evolve; tests of the shipped file itself load it with `load_rules()`)."""


class Harness:
    """A correlator over an OpenIncidents, applying each change it returns (what the incident book does)."""

    def __init__(self, rules: CorrelationRules | None = None, positions: dict[tuple[str, str], Position] | None = None):
        self.incidents = OpenIncidents()
        self.correlator = Correlator(rules or FIXTURE_RULES, counter(), positions)
        self.changes: list[IncidentChange] = []

    def feed(self, changes: Iterable[AlarmChange]) -> list[IncidentChange]:
        produced: list[IncidentChange] = []
        for change in changes:
            for incident_change in self.correlator.on_alarm_change(change, self.incidents):
                self.incidents.apply(incident_change)
                produced.append(incident_change)
        self.changes.extend(produced)
        return produced

    def open(self) -> list[Incident]:
        return self.incidents.all()

    def grouping(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(type, rule, alarm ids sorted) of each incident, sorted: what the alarms became, whatever the ids."""
        return sorted((i.type, i.rule, tuple(sorted(i.alarm_ids))) for i in self.open())
