"""The open alarms: one per key, driven by conditions and by operator actions (ISA-18.2 lifecycle), with chatter
filtering, flood control per operator desk and alarm-rate metrics.

`apply(condition)` is idempotent: an active condition on an alarm already active, or an inactive one on an
alarm already returned to normal, changes nothing and returns no change, so redelivered input never
duplicates an alarm. A shelved, suppressed or out-of-service alarm still follows its condition (the change is
returned so it is persisted, and the alarm's hidden state tells the console not to annunciate it).
Operator actions return the change and its audit entry. Cleared alarms leave the open set; the change that
cleared them (returned to normal after acknowledgement, acknowledged after return to normal, cleared by hand,
unshelved while normal) carries the alarm in state `cleared`. `advance(now)` lets time pass (the engine calls it
on every tick): shelf expiry, flood ends, flood summaries, chattering alarms that calmed down.

Chatter (`min_retrigger_interval_s` = N > 0; 0 turns it off). An alarm's trigger is its raise or a re-trigger
(its condition active again after it returned to normal).

- A re-trigger less than N s after the alarm's previous trigger (`last_triggered_at`, counted or not) is
  *held*: the alarm is updated (state, `trigger_count`, `last_triggered_at`, value) and the `retriggers_held`
  counter goes up, but no change is returned. While an alarm is held, its returns to normal less than N s after
  its last trigger are held too. A later re-trigger N s or more after the previous one is returned as usual.
- A new alarm on a key whose previous alarm (since cleared) was last triggered less than N s before is held the
  same way (`reraises_held`): it exists, but is not returned yet. Priority-1 alarms are never held as new alarms.
- A held alarm is returned once, carrying its latest state and counts, by the first `advance(now)` at least N s
  after its last trigger (as RAISED if it was never returned, else RETRIGGERED while its condition is active,
  RETURNED_TO_NORMAL when not), or at once by any other change to it (an operator action, a flood release, a
  return to normal N s or more after its last trigger, which is then returned as RAISED if it was never returned).

Flood control (`flood` = FloodSettings, None turns it off; rules of start and end in `beffroi.engine.flood`).
Each alarm belongs to the operator desk of its site (`desks`). While a desk floods, each alarm newly raised there
is raised directly in state SUPPRESSED with `state_reason` `flood:<desk>` (the RAISED change is returned, hidden)
and grouped into ONE summary alarm per desk: key (tenant, `desk:<desk>`, `alarm_flood`, no site), priority the
most urgent among the grouped alarms, value the number grouped, raised with the first grouped alarm and
refreshed (a RETRIGGERED change) by `advance` when more were grouped. PRIORITY-1 ALARMS ARE NEVER GROUPED: they
are raised and shown as usual during a flood, and still count towards it. When the flood ends, the summary
returns to normal, and each alarm still suppressed by that flood returns to service (one RETURNED_TO_SERVICE
change each, actor `engine`): unacknowledged if its condition is still active, cleared if it returned to normal
meanwhile. Re-triggers of an open alarm never count towards a flood.

Rates: every raise (shown, held or grouped; not the summaries) is counted per site and per desk in
`AlarmRates`; `rates_snapshot(tenant, now)` is what the supervisor view shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import msgspec

from beffroi.domain import alarms as lifecycle
from beffroi.domain.alarms import Alarm, AlarmKey, AlarmState, Priority
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import AttributeValue
from beffroi.domain.records import AuditEntry
from beffroi.engine.alarm_rates import AlarmRates, AlarmRatesSnapshot
from beffroi.engine.conditions import Condition
from beffroi.engine.desks import DeskMap
from beffroi.engine.flood import (
    FLOOD_ALARM_TYPE,
    FLOOD_REASON_PREFIX,
    SUMMARY_SOURCE_PREFIX,
    FloodEpisode,
    FloodMonitor,
    FloodSettings,
    flood_reason,
)
from beffroi.errors import ConfigError, InvalidTransition, NotFound, RejectedInput

ENGINE_ACTOR = "engine"
TARGET_TYPE = "alarm"
_MAX_RECENT_CLEARS = 100_000
"""Cleared keys remembered for chatter at most (pruned by `advance` to those cleared less than N s ago)."""


def summary_key(tenant_id: str, desk: str) -> AlarmKey:
    """The key of the flood summary alarm of `desk`."""
    return AlarmKey(tenant_id, f"{SUMMARY_SOURCE_PREFIX}{desk}", FLOOD_ALARM_TYPE)


def is_flood_summary(alarm: Alarm) -> bool:
    """True for the summary alarm of a desk's flood."""
    return alarm.key.type == FLOOD_ALARM_TYPE and alarm.key.source.startswith(SUMMARY_SOURCE_PREFIX)


class AlarmManager:
    """Open alarms by key and by id; `new_id()` names each new alarm and audit entry. See the module docstring
    for chatter (`min_retrigger_interval_s`), flood control (`flood`, `desks`) and rates."""

    def __init__(
        self,
        new_id: Callable[[], str],
        *,
        flood: FloodSettings | None = None,
        desks: DeskMap | None = None,
        min_retrigger_interval_s: float = 0.0,
    ) -> None:
        if not (math.isfinite(min_retrigger_interval_s) and min_retrigger_interval_s >= 0):
            raise ConfigError(
                "engine", [f"min_retrigger_interval_s: must be ≥ 0 seconds (got {min_retrigger_interval_s!r})"]
            )
        self._new_id = new_id
        self._by_key: dict[str, Alarm] = {}
        self._key_of: dict[str, str] = {}
        self._shelved: set[str] = set()
        self._load_listeners: list[Callable[[list[Alarm]], None]] = []
        self._desks = desks if desks is not None else DeskMap()
        self._chatter_s = min_retrigger_interval_s
        self._held: dict[str, bool] = {}  # alarm id -> whether a change of it was ever returned
        self._recent_clears: dict[str, float] = {}  # key text -> last trigger of its alarm, cleared since
        self._flood = flood
        self._floods = FloodMonitor(flood) if flood is not None else None
        self._episodes: dict[tuple[str, str], FloodEpisode] = {}
        self._grouped_in: dict[str, FloodEpisode] = {}  # alarm id -> the flood that groups it
        self._rates = AlarmRates(
            flood.window_s if flood is not None else 600.0,
            flood_max_alarms=flood.max_alarms if flood is not None else None,
        )
        self._counters = {
            "alarms_raised": 0,
            "retriggers_held": 0,
            "reraises_held": 0,
            "held_released": 0,
            "flood_grouped": 0,
            "floods_started": 0,
            "floods_ended": 0,
            "flood_released": 0,
        }

    @property
    def desks(self) -> DeskMap:
        """The operator desks the alarms go to (update its sites with `desks.update_sites`)."""
        return self._desks

    @property
    def flood_settings(self) -> FloodSettings | None:
        """The flood limits, None when flood control is off."""
        return self._flood

    @property
    def min_retrigger_interval_s(self) -> float:
        """The chatter interval (0: off)."""
        return self._chatter_s

    def counters(self) -> dict[str, int]:
        """What the manager did since start: alarms raised, re-triggers and re-raises held as chatter and held
        alarms returned later, alarms grouped by floods, floods started and ended, grouped alarms released."""
        return dict(self._counters)

    def rates_snapshot(self, tenant_id: str, now: float) -> AlarmRatesSnapshot:
        """Alarm rates of `tenant_id` per site and per desk at `now` (every desk listed)."""
        return self._rates.snapshot(tenant_id, now, self._desks.names)

    def rates_health(self, now: float) -> dict[str, AttributeValue]:
        """Flat alarm-rate and flood figures over every tenant, for the engine worker's health."""
        return {**self._rates.health(now), **self._counters}

    def floods(self) -> list[tuple[str, str, float]]:
        """The floods in progress: (tenant, desk, started at)."""
        return self._floods.flooding() if self._floods is not None else []

    def add_load_listener(self, listener: Callable[[list[Alarm]], None]) -> None:
        """Call `listener(open_alarms)` after each `load` (the engine uses it to tell its detectors)."""
        self._load_listeners.append(listener)

    def load(self, open_alarms: Iterable[Alarm]) -> list[Alarm]:
        """Adopt the open alarms kept by the store (after a restart) so their keys stay de-duplicated.

        Returns the alarms not adopted: cleared ones, and for a key held by two open alarms (which the store
        should never allow) the one updated earlier, so the caller can close it. Floods in progress are resumed
        from the open summaries and the alarms still suppressed by a flood, and the desks' flood windows are
        seeded with the raise times of the open alarms. Load listeners are then called with every open alarm.
        """
        rejected: list[Alarm] = []
        adopted: list[Alarm] = []
        for alarm in open_alarms:
            if not alarm.is_open:
                rejected.append(alarm)
                continue
            kept = alarm
            held = self._by_key.get(alarm.key.as_text())
            if held is not None and held.id != alarm.id:
                older, kept = (held, alarm) if held.updated_at <= alarm.updated_at else (alarm, held)
                rejected.append(older)
                self._forget(older)
            self._store(kept)
            adopted.append(kept)
        self._resume_floods([a for a in adopted if self.get(a.id) is a])
        if self._load_listeners:
            loaded = self.open_alarms()
            for listener in self._load_listeners:
                listener(loaded)
        return rejected

    def open_alarms(self) -> list[Alarm]:
        """Every open alarm."""
        return list(self._by_key.values())

    def get(self, alarm_id: str) -> Alarm | None:
        """The open alarm with this id, or None (unknown or cleared)."""
        key_text = self._key_of.get(alarm_id)
        return None if key_text is None else self._by_key[key_text]

    def get_by_key(self, key_text: str) -> Alarm | None:
        """The open alarm of a key (`AlarmKey.as_text()`), or None."""
        return self._by_key.get(key_text)

    # ----- conditions -----

    def apply(self, condition: Condition) -> list[AlarmChange]:
        """Raise, re-trigger or return to normal the alarm of the condition's key; [] when nothing changes (or the
        change is held as chatter)."""
        key_text = condition.key.as_text()
        alarm = self._by_key.get(key_text)
        if condition.active:
            if alarm is None:
                return self._raise(condition, key_text)
            if alarm.condition_active:
                return []
            previous_trigger = alarm.last_triggered_at
            alarm = lifecycle.retrigger(alarm, condition.ts, condition.value, condition.message)
            self._store(alarm)
            if self._chatters(previous_trigger, condition.ts):
                self._held.setdefault(alarm.id, True)
                self._counters["retriggers_held"] += 1
                return []
            return [self._returned(AlarmChangeKind.RETRIGGERED, alarm)]
        if alarm is None or not alarm.condition_active:
            return []
        alarm = lifecycle.return_to_normal(alarm, condition.ts)
        self._store(alarm)
        if alarm.id in self._held and alarm.is_open and self._chatters(alarm.last_triggered_at, condition.ts):
            return []
        return [self._returned(AlarmChangeKind.RETURNED_TO_NORMAL, alarm)]

    def advance(self, now: float) -> list[AlarmChange]:
        """Let time pass to `now`: expired shelves, ended floods (summary back to normal, grouped alarms
        released), refreshed flood summaries, then held chattering alarms that have calmed down."""
        changes = self.expire_shelves(now)
        changes.extend(self._end_floods(now))
        for episode in list(self._episodes.values()):
            if episode.summary_stale:
                changes.extend(self._refresh_summary(episode, now))
        changes.extend(self._release_held(now))
        self._prune_recent_clears(now)
        return changes

    def expire_shelves(self, now: float) -> list[AlarmChange]:
        """Unshelve the alarms whose shelf time has passed (back to unacknowledged, or cleared if normal)."""
        changes: list[AlarmChange] = []
        for alarm_id in sorted(self._shelved):
            alarm = self.get(alarm_id)
            if alarm is None or alarm.shelved_until is None or alarm.shelved_until > now:
                continue
            alarm = lifecycle.return_to_service(alarm, now)
            self._store(alarm)
            changes.append(self._returned(AlarmChangeKind.UNSHELVED, alarm))
        return changes

    # ----- chatter -----

    def _chatters(self, previous_trigger: float, ts: float) -> bool:
        return self._chatter_s > 0 and ts - previous_trigger < self._chatter_s

    def _returned(self, kind: AlarmChangeKind, alarm: Alarm) -> AlarmChange:
        """The change returned for `alarm`; a held alarm is no longer held (RAISED when never returned before)."""
        published = self._held.pop(alarm.id, None)
        if published is not None:
            self._counters["held_released"] += 1
            if not published:
                kind = AlarmChangeKind.RAISED
        return AlarmChange(kind, alarm)

    def _release_held(self, now: float) -> list[AlarmChange]:
        changes: list[AlarmChange] = []
        for alarm_id in list(self._held):
            alarm = self.get(alarm_id)
            if alarm is None:
                del self._held[alarm_id]
            elif not self._chatters(alarm.last_triggered_at, now):
                kind = AlarmChangeKind.RETRIGGERED if alarm.condition_active else AlarmChangeKind.RETURNED_TO_NORMAL
                changes.append(self._returned(kind, alarm))
        return changes

    def _prune_recent_clears(self, now: float) -> None:
        if self._recent_clears:
            self._recent_clears = {k: t for k, t in self._recent_clears.items() if self._chatters(t, now)}

    def _remember_clear(self, alarm: Alarm) -> None:
        if self._chatter_s > 0 and self._chatters(alarm.last_triggered_at, alarm.updated_at):
            key_text = alarm.key.as_text()
            self._recent_clears.pop(key_text, None)
            if len(self._recent_clears) >= _MAX_RECENT_CLEARS:
                del self._recent_clears[next(iter(self._recent_clears))]
            self._recent_clears[key_text] = alarm.last_triggered_at

    # ----- raising and floods -----

    def _raise(self, condition: Condition, key_text: str) -> list[AlarmChange]:
        key, ts = condition.key, condition.ts
        alarm = lifecycle.raise_alarm(self._new_id(), key, condition.priority, condition.message, ts, condition.value)
        desk = self._desks.desk_of(key.site_id)
        self._counters["alarms_raised"] += 1
        self._rates.record_raise(key.tenant_id, key.site_id, desk, ts)
        previous_trigger = self._recent_clears.pop(key_text, None)
        if self._floods is not None:
            if self._floods.record(key.tenant_id, desk, ts):
                self._counters["floods_started"] += 1
                self._rates.record_flood_start(key.tenant_id, desk, ts)
            if self._floods.is_flooding(key.tenant_id, desk) and alarm.priority != Priority.CRITICAL:
                return self._group(alarm, desk, ts)
        self._store(alarm)
        if (
            previous_trigger is not None
            and alarm.priority != Priority.CRITICAL
            and self._chatters(previous_trigger, ts)
        ):
            self._held[alarm.id] = False
            self._counters["reraises_held"] += 1
            return []
        return [AlarmChange(AlarmChangeKind.RAISED, alarm)]

    def _group(self, alarm: Alarm, desk: str, ts: float) -> list[AlarmChange]:
        """Raise `alarm` suppressed by the flood at `desk` and count it in the desk's summary."""
        tenant_id = alarm.key.tenant_id
        alarm = lifecycle.suppress(alarm, ts, flood_reason(desk))
        self._store(alarm)
        episode = self._episodes.get((tenant_id, desk))
        if episode is None:
            episode = self._episodes[(tenant_id, desk)] = FloodEpisode(tenant_id, desk)
        episode.add(alarm.id, alarm.priority)
        self._grouped_in[alarm.id] = episode
        self._counters["flood_grouped"] += 1
        self._rates.record_grouped(tenant_id, desk)
        changes = [AlarmChange(AlarmChangeKind.RAISED, alarm)]
        summary = self._by_key.get(summary_key(tenant_id, desk).as_text())
        if summary is None or not summary.condition_active:  # flood start (or the operator cleared the summary)
            changes.extend(self._refresh_summary(episode, ts))
        return changes

    def _refresh_summary(self, episode: FloodEpisode, ts: float) -> list[AlarmChange]:
        """Raise, re-trigger or update the summary alarm of a flood to its grouped count and priority."""
        episode.summary_stale = False
        flood = self._flood
        if flood is None or episode.priority is None:
            return []
        key = summary_key(episode.tenant_id, episode.desk)
        message = episode.summary_message(flood)
        value = float(episode.grouped_total)
        summary = self._by_key.get(key.as_text())
        if summary is None:
            summary = lifecycle.raise_alarm(self._new_id(), key, episode.priority, message, ts, value)
            kind = AlarmChangeKind.RAISED
        elif summary.condition_active and summary.value == value and summary.priority == episode.priority:
            return []
        else:
            summary = lifecycle.retrigger(summary, ts, value, message)
            kind = AlarmChangeKind.RETRIGGERED
        if summary.priority != episode.priority:
            summary = msgspec.structs.replace(summary, priority=episode.priority)
        self._store(summary)
        return [self._returned(kind, summary)]

    def _end_floods(self, now: float) -> list[AlarmChange]:
        if self._floods is None:
            return []
        changes: list[AlarmChange] = []
        for tenant_id, desk in self._floods.end_due(now):
            self._counters["floods_ended"] += 1
            self._rates.record_flood_end(tenant_id, desk)
            episode = self._episodes.pop((tenant_id, desk), None)
            key_text = summary_key(tenant_id, desk).as_text()
            summary = self._by_key.get(key_text)
            if summary is not None and summary.condition_active:
                if episode is not None and episode.summary_stale:
                    self._refresh_summary(episode, now)  # the final count rides on the return to normal below
                    summary = self._by_key.get(key_text, summary)
                summary = lifecycle.return_to_normal(summary, now)
                self._store(summary)
                changes.append(self._returned(AlarmChangeKind.RETURNED_TO_NORMAL, summary))
            if episode is None:
                continue
            reason = flood_reason(desk)
            for alarm_id in episode.grouped:
                self._grouped_in.pop(alarm_id, None)
                alarm = self.get(alarm_id)
                if alarm is None or alarm.state is not AlarmState.SUPPRESSED or alarm.state_reason != reason:
                    continue
                alarm = lifecycle.return_to_service(alarm, now)
                self._store(alarm)
                self._counters["flood_released"] += 1
                changes.append(self._returned(AlarmChangeKind.RETURNED_TO_SERVICE, alarm))
        return changes

    def _resume_floods(self, adopted: list[Alarm]) -> None:
        """After a load: seed the desks' windows and resume the floods whose summary or grouped alarms are open."""
        if self._floods is None:
            return
        for alarm in sorted(adopted, key=lambda a: a.raised_at):
            tenant_id = alarm.key.tenant_id
            if is_flood_summary(alarm):
                if alarm.condition_active:
                    desk = alarm.key.source.removeprefix(SUMMARY_SOURCE_PREFIX)
                    self._floods.resume(tenant_id, desk, alarm.raised_at)
                    self._episodes.setdefault((tenant_id, desk), FloodEpisode(tenant_id, desk))
                continue
            self._floods.seed(tenant_id, self._desks.desk_of(alarm.key.site_id), alarm.raised_at)
            reason = alarm.state_reason or ""
            if alarm.state is AlarmState.SUPPRESSED and reason.startswith(FLOOD_REASON_PREFIX):
                desk = reason.removeprefix(FLOOD_REASON_PREFIX)
                self._floods.resume(tenant_id, desk, alarm.raised_at)
                episode = self._episodes.setdefault((tenant_id, desk), FloodEpisode(tenant_id, desk))
                episode.add(alarm.id, alarm.priority)
                self._grouped_in[alarm.id] = episode
        for (tenant_id, desk), episode in self._episodes.items():
            summary = self._by_key.get(summary_key(tenant_id, desk).as_text())
            if summary is not None:
                if summary.value is not None:
                    episode.grouped_total = max(episode.grouped_total, int(summary.value))
                if episode.priority is None or summary.priority < episode.priority:
                    episode.priority = summary.priority
            episode.summary_stale = summary is None or summary.value != float(episode.grouped_total)

    # ----- operator actions -----

    def acknowledge(self, tenant_id: str, alarm_id: str, actor: str, ts: float) -> tuple[AlarmChange, AuditEntry]:
        """The operator has seen the alarm (it clears if its condition is already gone)."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.acknowledge(alarm, ts, actor)
        return self._operator_change(AlarmChangeKind.ACKNOWLEDGED, alarm, updated, actor, ts, {})

    def shelve(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str, duration_s: float
    ) -> tuple[AlarmChange, AuditEntry]:
        """Hide the alarm for `duration_s` seconds; a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise RejectedInput(
                "bad_duration", f"shelve duration must be a positive number of seconds, got {duration_s!r}"
            )
        updated = lifecycle.shelve(alarm, ts, actor, reason, ts + duration_s)
        details: dict[str, AttributeValue] = {"reason": reason, "until": ts + duration_s, "duration_s": duration_s}
        return self._operator_change(AlarmChangeKind.SHELVED, alarm, updated, actor, ts, details)

    def suppress(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str
    ) -> tuple[AlarmChange, AuditEntry]:
        """Suppress the alarm by design (e.g. its zone is in maintenance); a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        _require_reason(alarm, reason, "suppress")
        updated = lifecycle.suppress(alarm, ts, f"{actor}: {reason}")
        return self._operator_change(AlarmChangeKind.SUPPRESSED, alarm, updated, actor, ts, {"reason": reason})

    def take_out_of_service(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str
    ) -> tuple[AlarmChange, AuditEntry]:
        """Take the alarm out of service (e.g. its sensor is under repair); a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        _require_reason(alarm, reason, "take out of service")
        updated = lifecycle.take_out_of_service(alarm, ts, actor, reason)
        return self._operator_change(AlarmChangeKind.OUT_OF_SERVICE, alarm, updated, actor, ts, {"reason": reason})

    def return_to_service(self, tenant_id: str, alarm_id: str, actor: str, ts: float) -> tuple[AlarmChange, AuditEntry]:
        """Unshelve, unsuppress or return to service: unacknowledged if its condition is active, else cleared."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.return_to_service(alarm, ts)
        kind = AlarmChangeKind.UNSHELVED if alarm.state is AlarmState.SHELVED else AlarmChangeKind.RETURNED_TO_SERVICE
        return self._operator_change(kind, alarm, updated, actor, ts, {})

    def clear(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str = ""
    ) -> tuple[AlarmChange, AuditEntry]:
        """Close the alarm by hand."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.clear(alarm, ts, actor)
        details: dict[str, AttributeValue] = {"reason": reason} if reason else {}
        return self._operator_change(AlarmChangeKind.CLEARED, alarm, updated, actor, ts, details)

    # ----- internals -----

    def _find(self, tenant_id: str, alarm_id: str) -> Alarm:
        alarm = self.get(alarm_id)
        if alarm is None or alarm.key.tenant_id != tenant_id:
            raise NotFound(f"no open alarm {alarm_id!r} in tenant {tenant_id!r}")
        return alarm

    def _operator_change(
        self,
        kind: AlarmChangeKind,
        before: Alarm,
        after: Alarm,
        actor: str,
        ts: float,
        details: dict[str, AttributeValue],
    ) -> tuple[AlarmChange, AuditEntry]:
        self._store(after)
        self._held.pop(after.id, None)  # this change carries the alarm's latest state
        entry = AuditEntry(
            id=self._new_id(),
            ts=ts,
            tenant_id=after.key.tenant_id,
            actor=actor,
            action=f"alarm.{kind.value}",
            target_type=TARGET_TYPE,
            target_id=after.id,
            details={**details, "from_state": before.state.value, "to_state": after.state.value},
        )
        return AlarmChange(kind, after, actor), entry

    def _store(self, alarm: Alarm) -> None:
        if not alarm.is_open:
            self._forget(alarm)
            self._remember_clear(alarm)
            return
        key_text = alarm.key.as_text()
        self._by_key[key_text] = alarm
        self._key_of[alarm.id] = key_text
        if alarm.state is AlarmState.SHELVED:
            self._shelved.add(alarm.id)
        else:
            self._shelved.discard(alarm.id)

    def _forget(self, alarm: Alarm) -> None:
        key_text = self._key_of.pop(alarm.id, None)
        if key_text is not None and self._by_key.get(key_text, alarm).id == alarm.id:
            self._by_key.pop(key_text, None)
        self._shelved.discard(alarm.id)
        episode = self._grouped_in.pop(alarm.id, None)
        if episode is not None:
            episode.grouped.pop(alarm.id, None)


def _require_reason(alarm: Alarm, reason: str, action: str) -> None:
    if not reason.strip():
        raise InvalidTransition("alarm", alarm.state.value, f"{action} without a reason")
