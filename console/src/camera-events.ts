/**
 * The picture behind an alarm raised from a camera: which stored event of that camera and type triggered it (the
 * latest one at or before the alarm's last trigger), found through GET /api/events.
 */

import type { EventQuery } from "./api";
import type { AlarmOut, EventOut } from "./types";

/** Alarm types whose video event has another name (an event rule's `alarm_type`). */
const EVENT_TYPE_OF_ALARM: Record<string, string> = { fire_alarm: "fire_start" };

/**
 * Events this much later (seconds) than the alarm's last trigger still count as its trigger: a rounding margin only,
 * since the alarm carries its trigger's time exactly, and other tracks' events a few tenths later are not it.
 */
const TRIGGER_SLACK_S = 0.001;

/** How many events of the type and site to look through for the camera's. */
export const EVENT_SEARCH_LIMIT = 200;

/** The event type that raises an alarm of this type. */
export function eventTypeOfAlarm(alarmType: string): string {
  return EVENT_TYPE_OF_ALARM[alarmType] ?? alarmType;
}

/**
 * The query for the events that may have triggered the alarm: of its source (the camera), type and site, up to its
 * last trigger; `pickAlarmEvent` then takes the latest with a picture.
 */
export function alarmEventQuery(alarm: AlarmOut): EventQuery {
  const query: EventQuery = {
    type: eventTypeOfAlarm(alarm.key.type),
    until: alarm.last_triggered_at + TRIGGER_SLACK_S,
    limit: EVENT_SEARCH_LIMIT,
  };
  if (alarm.key.site_id !== null) query.site_id = alarm.key.site_id;
  query.source = alarm.key.source;
  return query;
}

/**
 * The event that triggered the alarm, with a picture: of the alarm's source and event type, at or before its last
 * trigger, the latest such; null when none.
 */
export function pickAlarmEvent(events: readonly EventOut[], alarm: AlarmOut): EventOut | null {
  const type = eventTypeOfAlarm(alarm.key.type);
  const until = alarm.last_triggered_at + TRIGGER_SLACK_S;
  let best: EventOut | null = null;
  for (const event of events) {
    if (event.source !== alarm.key.source || event.type !== type || event.ts > until) continue;
    if (typeof event.attributes.snapshot !== "string" || event.attributes.snapshot.length === 0) continue;
    if (best === null || event.ts > best.ts) best = event;
  }
  return best;
}

/** The snapshot id of an event (the `snapshot` attribute). */
export function snapshotOf(event: EventOut): string {
  return String(event.attributes.snapshot);
}
