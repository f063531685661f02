"""Correlation of alarms into incidents: pure and deterministic, fed with alarm changes, returning incident changes.

The first change seen of an alarm (whatever its kind: changes may arrive out of order) correlates it, by its
`raised_at`:
1. Each specific rule that looks at its type (by priority, then file order) is matched against the alarms raised
   within the rule's window, in the rule's place. On a match, the alarm joins the active incident that already
   holds one of the matched alarms (the oldest; one of this rule first), which the rule reclassifies when it
   outranks the rule that opened it; matched alarms in no incident join too. With no such incident, the rule
   opens one with them.
2. Otherwise the default rule: the alarm joins the active incident of its zone (its site when it has no zone)
   whose alarms were raised within the default window of it; the latest active first. With none, it opens one.
An occurrence of an alarm joins at most one incident. Later changes of an alarm of an incident update its snapshot
(the newest `updated_at` wins) and write a timeline entry; they never correlate it again, except a new occurrence:
an alarm that returned to normal and fired again (its trigger count went up). In its incident, still active, the
re-triggering is a timeline entry and moves the incident's last alarm time; when that incident is resolved or
closed, the new occurrence is correlated afresh at its `last_triggered_at` (opening an incident or joining another
active one), as if it were a new alarm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import msgspec

from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import Alarm, Priority
from beffroi.domain.incidents import (
    Evidence,
    EvidenceKind,
    Incident,
    IncidentAlarm,
    IncidentState,
    TimelineEntry,
    TimelineKind,
)
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentChange, IncidentChangeKind
from beffroi.domain.observations import AttributeValue, Position
from beffroi.domain.procedures import ProcedureRun
from beffroi.engine.correlation_rules import (
    DEFAULT_RULE_NAME,
    CorrelationRule,
    CorrelationRules,
    PlaceScope,
)

ENGINE_ACTOR = "engine"
EARTH_RADIUS_M = 6_371_008.8
UNTIMELINED_CHANGES = frozenset({AlarmChangeKind.RAISED, AlarmChangeKind.RETRIGGERED})
"""Alarm changes that update an incident's snapshot of the alarm without a timeline entry."""


def distance_m(a: Position, b: Position) -> float:
    """Great-circle distance between two WGS 84 points, in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


Key = tuple[str, str]
"""(tenant id, id)."""


class OpenIncidents:
    """The incidents not closed, their alarms and procedure runs, and which incident each alarm is in."""

    def __init__(self) -> None:
        self._incidents: dict[Key, Incident] = {}
        self._alarms: dict[Key, dict[str, IncidentAlarm]] = {}
        self._runs: dict[Key, ProcedureRun] = {}
        self._member_of: dict[Key, str] = {}

    def __len__(self) -> int:
        return len(self._incidents)

    def get(self, tenant_id: str, incident_id: str) -> Incident | None:
        """The incident, or None (unknown, closed, or another tenant's)."""
        return self._incidents.get((tenant_id, incident_id))

    def all(self) -> list[Incident]:
        """Every incident held, oldest opened first."""
        return sorted(self._incidents.values(), key=lambda incident: (incident.opened_at, incident.id))

    def active(self, tenant_id: str) -> list[Incident]:
        """The tenant's incidents that take new alarms."""
        return [i for (tenant, _), i in self._incidents.items() if tenant == tenant_id and i.is_active]

    def alarms(self, tenant_id: str, incident_id: str) -> list[IncidentAlarm]:
        """The incident's alarms, in the order they joined."""
        return list(self._alarms.get((tenant_id, incident_id), {}).values())

    def run(self, tenant_id: str, incident_id: str) -> ProcedureRun | None:
        """The incident's procedure run, if one is attached."""
        return self._runs.get((tenant_id, incident_id))

    def incident_of(self, tenant_id: str, alarm_id: str) -> str | None:
        """The id of the incident holding the alarm, or None."""
        return self._member_of.get((tenant_id, alarm_id))

    def snapshot(self, tenant_id: str, alarm_id: str) -> IncidentAlarm | None:
        """The alarm as its incident holds it, or None."""
        incident_id = self.incident_of(tenant_id, alarm_id)
        if incident_id is None:
            return None
        return self._alarms.get((tenant_id, incident_id), {}).get(alarm_id)

    def load(self, incident: Incident, alarms: Iterable[IncidentAlarm], run: ProcedureRun | None) -> None:
        """Hold an incident read back from the store (after a restart)."""
        self.apply(IncidentChange(IncidentChangeKind.OPENED, incident, alarms=tuple(alarms), procedure=run))

    def apply(self, change: IncidentChange) -> None:
        """Record a change; a closed incident is let go (with its alarms and run). An alarm belongs to the newest
        incident it joined (a re-occurrence joins a new one)."""
        incident = change.incident
        key = (incident.tenant_id, incident.id)
        if incident.state is IncidentState.CLOSED:
            self._incidents.pop(key, None)
            self._runs.pop(key, None)
            for alarm_id in self._alarms.pop(key, {}):
                member_key = (incident.tenant_id, alarm_id)
                if self._member_of.get(member_key) == incident.id:
                    del self._member_of[member_key]
            return
        self._incidents[key] = incident
        held = self._alarms.setdefault(key, {})
        for item in change.alarms:
            held[item.alarm.id] = item
            self._member_of[(incident.tenant_id, item.alarm.id)] = incident.id
        if change.procedure is not None:
            self._runs[key] = change.procedure


@dataclass(frozen=True, slots=True)
class _Seen:
    """A recently fired alarm kept for matching rules: its latest snapshot, its device's position, and when it
    fired (raised, or re-triggered for a new occurrence)."""

    alarm: Alarm
    position: Position | None
    ts: float


class Correlator:
    """Applies the rules to alarm changes. `positions` maps (tenant id, device id) to the device's position, for
    rules scoped by radius; `new_id()` names incidents, timeline entries and evidence."""

    def __init__(
        self,
        rules: CorrelationRules,
        new_id: Callable[[], str],
        positions: Mapping[Key, Position] | None = None,
    ) -> None:
        self._rules = rules
        self._ordered = rules.ordered()
        self._rank = {rule.name: rule.priority for rule in rules.rules}
        self._new_id = new_id
        self._positions: Mapping[Key, Position] = positions or {}
        self._recent: dict[Key, _Seen] = {}
        self._newest = -math.inf
        self._memory_s = rules.longest_window_s

    @property
    def rules(self) -> CorrelationRules:
        """The rules applied."""
        return self._rules

    def update_positions(self, positions: Mapping[Key, Position]) -> None:
        """Replace the devices' positions (the registry changed)."""
        self._positions = positions

    def remember(self, alarms: Iterable[Alarm]) -> None:
        """Keep alarms already correlated (reloaded after a restart) so later alarms can still match rules."""
        for alarm in alarms:
            self._see(alarm)
        self._forget_old()

    def on_alarm_change(
        self, change: AlarmChange, incidents: OpenIncidents, *, reoccurred: bool = False
    ) -> list[IncidentChange]:
        """The incident changes one alarm change causes: [] when it changes nothing (a redelivery, an older
        snapshot, an alarm no rule takes). `reoccurred`: the caller knows the change is a new occurrence of an alarm
        whose incident is closed (and no longer held here)."""
        alarm = change.alarm
        tenant_id = alarm.key.tenant_id
        held = incidents.snapshot(tenant_id, alarm.id)
        if held is not None:
            holder = incidents.get(tenant_id, held.incident_id)
            if _fired_again(change, held.alarm) and holder is not None and not holder.is_active:
                return self._correlate(alarm, alarm.last_triggered_at, incidents)
            return self._update_snapshot(change, held, incidents)
        seen = self._recent.get((tenant_id, alarm.id))
        if reoccurred or (seen is not None and _fired_again(change, seen.alarm)):
            return self._correlate(alarm, alarm.last_triggered_at, incidents)
        if seen is not None:  # correlated already (into no incident, or one since closed): keep its newest state
            if alarm.updated_at >= seen.alarm.updated_at:
                self._see(alarm, seen.ts)
            return []
        return self._correlate(alarm, alarm.raised_at, incidents)

    def _correlate(self, alarm: Alarm, ts: float, incidents: OpenIncidents) -> list[IncidentChange]:
        """Correlate one occurrence of the alarm, fired at `ts`."""
        anchor = self._see(alarm, ts)
        try:
            for rule in self._ordered:
                if alarm.key.type in rule.types:
                    matched = self._match(rule, anchor)
                    if matched:
                        return [self._apply_rule(rule, matched, anchor, incidents)]
            if self._rules.default.enabled:
                return [self._apply_default(anchor, incidents)]
            return []
        finally:
            self._forget_old()

    def knows(self, tenant_id: str, alarm_id: str, incidents: OpenIncidents) -> bool:
        """True when the alarm was correlated already and is still remembered (held by an incident in memory, or
        raised recently). An alarm not known may still be in a closed incident: ask the store before correlating."""
        return (tenant_id, alarm_id) in self._recent or incidents.incident_of(tenant_id, alarm_id) is not None

    # ----- memory of recent alarms -----

    def _see(self, alarm: Alarm, ts: float | None = None) -> _Seen:
        key = alarm.key
        fired_at = alarm.raised_at if ts is None else ts
        seen = _Seen(alarm, self._positions.get((key.tenant_id, key.source)), fired_at)
        self._recent[(key.tenant_id, alarm.id)] = seen
        self._newest = max(self._newest, fired_at)
        return seen

    def _forget_old(self) -> None:
        horizon = self._newest - self._memory_s
        stale = [key for key, seen in self._recent.items() if seen.ts < horizon]
        for key in stale:
            del self._recent[key]

    # ----- rules -----

    def _same_place(self, rule: CorrelationRule, anchor: _Seen, other: _Seen) -> bool:
        a, b = anchor.alarm.key, other.alarm.key
        if a.tenant_id != b.tenant_id:
            return False
        if rule.place is PlaceScope.ZONE:
            return a.zone_id is not None and a.zone_id == b.zone_id
        if rule.place is PlaceScope.SITE:
            return a.site_id is not None and a.site_id == b.site_id
        if anchor.position is None or other.position is None or rule.radius_m is None:
            return a.source == b.source
        return distance_m(anchor.position, other.position) <= rule.radius_m

    def _match(self, rule: CorrelationRule, anchor: _Seen) -> list[_Seen]:
        """The alarms that satisfy the rule together with `anchor`, in the earliest window that does; [] if none."""
        types = rule.types
        candidates = sorted(
            (
                seen
                for seen in self._recent.values()
                if seen.alarm.key.type in types
                and abs(seen.ts - anchor.ts) <= rule.window_s
                and self._same_place(rule, anchor, seen)
            ),
            key=lambda seen: (seen.ts, seen.alarm.id),
        )
        for start in candidates:
            if start.ts > anchor.ts:
                break
            window = [seen for seen in candidates if start.ts <= seen.ts <= start.ts + rule.window_s]
            if anchor in window and _satisfies(rule, [seen.alarm.key.type for seen in window]):
                return window
        return []

    def _apply_rule(
        self, rule: CorrelationRule, matched: list[_Seen], anchor: _Seen, incidents: OpenIncidents
    ) -> IncidentChange:
        tenant_id = anchor.alarm.key.tenant_id
        holders: dict[str, Incident] = {}
        free: list[_Seen] = []
        for seen in matched:
            holder_id = incidents.incident_of(tenant_id, seen.alarm.id)
            holder = None if holder_id is None else incidents.get(tenant_id, holder_id)
            if holder is not None and holder.is_active:
                holders[holder.id] = holder
            elif holder_id is None or seen is anchor or _after_resolution(seen, holder):
                free.append(seen)
        ordered = sorted(holders.values(), key=lambda incident: (incident.opened_at, incident.id))
        target = next((i for i in ordered if i.rule == rule.name), ordered[0] if ordered else None)
        ts = max(seen.ts for seen in matched)
        if target is None:
            zones = {seen.alarm.key.zone_id for seen in free}
            opened = lifecycle.open_incident(
                self._new_id(),
                tenant_id,
                type=rule.incident_type,
                title=rule.display_title,
                priority=Priority(rule.priority),
                rule=rule.name,
                ts=min(seen.ts for seen in free),
                site_id=anchor.alarm.key.site_id,
                zone_id=zones.pop() if len(zones) == 1 else None,
            )
            entry = self._entry(
                opened,
                opened.opened_at,
                TimelineKind.OPENED,
                f"Opened by rule {rule.name}: {opened.title}",
                {"rule": rule.name, "type": opened.type, "alarms": len(free)},
            )
            return self._joined(IncidentChangeKind.OPENED, opened, free, anchor, [entry])
        entries: list[TimelineEntry] = []
        kind = IncidentChangeKind.ALARM_JOINED
        incident = target
        if target.rule != rule.name and self._outranks(rule, target.rule):
            incident = lifecycle.reclassify(
                target,
                type=rule.incident_type,
                title=rule.display_title,
                rule=rule.name,
                priority=Priority(rule.priority),
                ts=ts,
            )
            details: dict[str, AttributeValue] = {
                "from_type": target.type,
                "to_type": incident.type,
                "from_rule": target.rule,
                "to_rule": rule.name,
            }
            text = f"Recognised as {incident.title} by rule {rule.name}"
            entries.append(self._entry(incident, ts, TimelineKind.RECLASSIFIED, text, details))
            kind = IncidentChangeKind.RECLASSIFIED
        for other in ordered:
            if other.id != incident.id:
                text = f"Related to incident {other.id} by rule {rule.name}"
                data: dict[str, AttributeValue] = {"incident_id": other.id, "rule": rule.name}
                entries.append(self._entry(incident, ts, TimelineKind.RELATED, text, data))
        return self._joined(kind, incident, free, anchor, entries)

    def _outranks(self, rule: CorrelationRule, current_rule: str) -> bool:
        """True when `rule` should reclassify an incident opened by `current_rule` (the default, an unknown rule, or
        a less urgent one)."""
        current = self._rank.get(current_rule)
        return current_rule == DEFAULT_RULE_NAME or current is None or rule.priority < current

    # ----- the default rule -----

    def _apply_default(self, anchor: _Seen, incidents: OpenIncidents) -> IncidentChange:
        alarm, fired_at = anchor.alarm, anchor.ts
        key = alarm.key
        default = self._rules.default
        by_zone = default.place is PlaceScope.ZONE and key.zone_id is not None

        def same_place(incident: Incident) -> bool:
            if by_zone:
                return incident.zone_id == key.zone_id
            if default.place is PlaceScope.ZONE:
                return incident.site_id == key.site_id and incident.zone_id is None
            return incident.site_id == key.site_id

        window = default.window_s
        candidates = [
            incident
            for incident in incidents.active(key.tenant_id)
            if same_place(incident)
            and incident.first_alarm_at - window <= fired_at <= incident.last_alarm_at + window
            and alarm.id not in incident.alarm_ids
        ]
        if candidates:
            target = min(candidates, key=lambda i: (-i.last_alarm_at, i.opened_at, i.id))
            return self._joined(IncidentChangeKind.ALARM_JOINED, target, [anchor], anchor, [])
        incident_type = default.type_for(key.type)
        opened = lifecycle.open_incident(
            self._new_id(),
            key.tenant_id,
            type=incident_type,
            title=default.title_for(incident_type, alarm.message),
            priority=alarm.priority,
            rule=DEFAULT_RULE_NAME,
            ts=fired_at,
            site_id=key.site_id,
            zone_id=key.zone_id if default.place is PlaceScope.ZONE else None,
        )
        text = f"Opened by the default rule: {opened.title}"
        entry = self._entry(opened, opened.opened_at, TimelineKind.OPENED, text, {"rule": DEFAULT_RULE_NAME})
        return self._joined(IncidentChangeKind.OPENED, opened, [anchor], anchor, [entry])

    # ----- building changes -----

    def _joined(
        self,
        kind: IncidentChangeKind,
        incident: Incident,
        alarms: list[_Seen],
        anchor: _Seen,
        entries: list[TimelineEntry],
    ) -> IncidentChange:
        """The change adding `alarms` (in firing order) to `incident`, with a timeline entry and evidence each."""
        joined_at = anchor.alarm.updated_at
        items: list[IncidentAlarm] = []
        evidence: list[Evidence] = []
        for seen in sorted(alarms, key=lambda s: (s.ts, s.alarm.id)):
            alarm = seen.alarm
            incident = lifecycle.join(incident, alarm, seen.ts)
            items.append(IncidentAlarm(incident.id, joined_at, alarm))
            key = alarm.key
            data: dict[str, AttributeValue] = {
                "alarm_id": alarm.id,
                "alarm_type": key.type,
                "source": key.source,
                "priority": int(alarm.priority),
            }
            text = f"Alarm {key.type} from {key.source} joined"
            if seen.ts > alarm.raised_at:
                data["occurrence"] = alarm.trigger_count
                text = f"Alarm {key.type} from {key.source} fired again (occurrence {alarm.trigger_count}) and joined"
            entries.append(self._entry(incident, seen.ts, TimelineKind.ALARM_JOINED, text, data))
            evidence.append(
                Evidence(
                    id=self._new_id(),
                    tenant_id=incident.tenant_id,
                    incident_id=incident.id,
                    kind=EvidenceKind.ALARM,
                    ref=alarm.id,
                    ts=seen.ts,
                    added_by=ENGINE_ACTOR,
                    note=alarm.message,
                )
            )
        return IncidentChange(kind, incident, ENGINE_ACTOR, tuple(entries), tuple(items), tuple(evidence))

    def _update_snapshot(
        self, change: AlarmChange, held: IncidentAlarm, incidents: OpenIncidents
    ) -> list[IncidentChange]:
        alarm = change.alarm
        if alarm.updated_at < held.alarm.updated_at or alarm == held.alarm:
            return []
        seen = self._recent.get((alarm.key.tenant_id, alarm.id))
        fired_again = _fired_again(change, held.alarm)
        if fired_again:
            self._see(alarm, alarm.last_triggered_at)
        elif seen is not None:
            self._see(alarm, seen.ts)
        incident = incidents.get(alarm.key.tenant_id, held.incident_id)
        if incident is None:
            return []
        incident = lifecycle.touch(incident, alarm.updated_at)
        entries: tuple[TimelineEntry, ...] = ()
        if fired_again and incident.is_active:
            incident = lifecycle.refire(incident, alarm)
            key = alarm.key
            refired: dict[str, AttributeValue] = {
                "alarm_id": alarm.id,
                "change": change.change.value,
                "occurrence": alarm.trigger_count,
            }
            text = f"Alarm {key.type} from {key.source} fired again (occurrence {alarm.trigger_count})"
            entries = (self._entry(incident, alarm.last_triggered_at, TimelineKind.ALARM_CHANGED, text, refired),)
        elif change.change not in UNTIMELINED_CHANGES:
            key = alarm.key
            data: dict[str, AttributeValue] = {
                "alarm_id": alarm.id,
                "change": change.change.value,
                "state": alarm.state.value,
            }
            text = f"Alarm {key.type} from {key.source}: {change.change.value.replace('_', ' ')} by {change.actor}"
            entries = (self._entry(incident, alarm.updated_at, TimelineKind.ALARM_CHANGED, text, data, change.actor),)
        updated = msgspec.structs.replace(held, alarm=alarm)
        return [IncidentChange(IncidentChangeKind.ALARM_UPDATED, incident, change.actor, entries, (updated,))]

    def _entry(
        self,
        incident: Incident,
        ts: float,
        kind: TimelineKind,
        text: str,
        data: dict[str, AttributeValue],
        actor: str = ENGINE_ACTOR,
    ) -> TimelineEntry:
        return TimelineEntry(self._new_id(), incident.tenant_id, incident.id, ts, actor, kind, text, data)


def _fired_again(change: AlarmChange, before: Alarm) -> bool:
    """True when the change is a new occurrence of the alarm: it returned to normal and fired again since `before`."""
    return change.change is AlarmChangeKind.RETRIGGERED and change.alarm.trigger_count > before.trigger_count


def _after_resolution(seen: _Seen, holder: Incident | None) -> bool:
    """True when the alarm fired (as `seen`) after its incident was resolved: that occurrence is free to join."""
    return holder is not None and holder.resolved_at is not None and seen.ts > holder.resolved_at


def _satisfies(rule: CorrelationRule, types: list[str]) -> bool:
    """True when alarm types (in raising order) meet the rule's `all_of`, `any_of` or `sequence`."""
    if rule.sequence:
        position = 0
        for alarm_type in types:
            if alarm_type == rule.sequence[position]:
                position += 1
                if position == len(rule.sequence):
                    return True
        return False
    present = set(types)
    if not present.issuperset(rule.all_of):
        return False
    return not rule.any_of or not present.isdisjoint(rule.any_of)
