/**
 * Rules about alarms the console applies: the operators' order, the filters, which actions a state and a role
 * allow, and the per-site counts of the map's badges.
 */

import type { AlarmOut, AlarmState, Role } from "./types";

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, supervisor: 2, admin: 3 };

/** The role's rank, viewer lowest; an unknown role counts as a viewer. */
export function roleRank(role: string): number {
  return role in ROLE_RANK ? ROLE_RANK[role as Role] : 0;
}

/** Operators and above act on alarms. */
export function canActOnAlarms(role: string): boolean {
  return roleRank(role) >= ROLE_RANK.operator;
}

/** Supervisors and above read the audit log. */
export function canReadAudit(role: string): boolean {
  return roleRank(role) >= ROLE_RANK.supervisor;
}

export type AlarmAction = "acknowledge" | "shelve" | "clear";

const ACKNOWLEDGEABLE: ReadonlySet<AlarmState> = new Set(["unacknowledged", "rtn_unacknowledged"]);
const HIDDEN: ReadonlySet<AlarmState> = new Set(["shelved", "suppressed", "out_of_service"]);

/** The actions the alarm's state allows (beffroi/domain/alarms.py): acknowledge only while unacknowledged. */
export function allowedActions(alarm: AlarmOut): AlarmAction[] {
  if (alarm.state === "cleared") return [];
  const actions: AlarmAction[] = [];
  if (ACKNOWLEDGEABLE.has(alarm.state)) actions.push("acknowledge");
  if (alarm.state !== "shelved") actions.push("shelve");
  actions.push("clear");
  return actions;
}

/** True when shelved, suppressed or out of service: kept, but not annunciated. */
export function isHidden(alarm: AlarmOut): boolean {
  return HIDDEN.has(alarm.state);
}

/** Most urgent first (priority 1 before 4), then the newest raised first, then by id (as the API sorts). */
export function compareAlarms(a: AlarmOut, b: AlarmOut): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.raised_at !== b.raised_at) return b.raised_at - a.raised_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortAlarms(alarms: Iterable<AlarmOut>): AlarmOut[] {
  return [...alarms].sort(compareAlarms);
}

/** The site an alarm belongs to: its key's site, else its device's or zone's. */
export type SiteResolver = (alarm: AlarmOut) => string | null;

export interface AlarmFilter {
  /** Only this site (null: all). */
  siteId: string | null;
  /** Only this state; "active" is every state not hidden; null: all open states. */
  state: AlarmState | "active" | null;
}

export const NO_FILTER: AlarmFilter = { siteId: null, state: null };

/** The alarms the filter keeps, in the operators' order. */
export function filterAlarms(alarms: Iterable<AlarmOut>, filter: AlarmFilter, siteOf: SiteResolver): AlarmOut[] {
  const kept: AlarmOut[] = [];
  for (const alarm of alarms) {
    if (alarm.state === "cleared") continue;
    if (filter.siteId !== null && siteOf(alarm) !== filter.siteId) continue;
    if (filter.state === "active" && isHidden(alarm)) continue;
    if (filter.state !== null && filter.state !== "active" && alarm.state !== filter.state) continue;
    kept.push(alarm);
  }
  return kept.sort(compareAlarms);
}

/** A site's badge: how many alarms it has open and not hidden, and the most urgent priority among them. */
export interface SiteAlarmCount {
  count: number;
  worstPriority: number;
}

/** The badge of every site with at least one open, annunciated alarm. */
export function countAlarmsBySite(alarms: Iterable<AlarmOut>, siteOf: SiteResolver): Map<string, SiteAlarmCount> {
  const counts = new Map<string, SiteAlarmCount>();
  for (const alarm of alarms) {
    if (alarm.state === "cleared" || isHidden(alarm)) continue;
    const siteId = siteOf(alarm);
    if (siteId === null) continue;
    const held = counts.get(siteId);
    if (held === undefined) counts.set(siteId, { count: 1, worstPriority: alarm.priority });
    else {
      held.count += 1;
      held.worstPriority = Math.min(held.worstPriority, alarm.priority);
    }
  }
  return counts;
}
