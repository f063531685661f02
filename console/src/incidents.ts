/**
 * Rules about incidents the console applies (beffroi/domain/incidents.py): the operators' order, the list's filters,
 * the lifecycle's transitions and which of them a role may make, and the timeline's order.
 */

import { roleRank } from "./alarms";
import type { IncidentOut, IncidentState, TimelineEntryOut } from "./types";

/** Every state, in lifecycle order. */
export const INCIDENT_STATES: readonly IncidentState[] = ["new", "in_progress", "on_hold", "resolved", "closed"];

/** The states the incidents tab lists (every state but closed, the API's default). */
export const OPEN_INCIDENT_STATES: readonly IncidentState[] = ["new", "in_progress", "on_hold", "resolved"];

/** The states that still take alarms and escalate. */
export const ACTIVE_INCIDENT_STATES: readonly IncidentState[] = ["new", "in_progress", "on_hold"];

/** The states each state may move to (the domain's TRANSITIONS). */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentState, readonly IncidentState[]>> = {
  new: ["in_progress", "on_hold", "resolved"],
  in_progress: ["on_hold", "resolved"],
  on_hold: ["in_progress", "resolved"],
  resolved: ["in_progress", "closed"],
  closed: ["in_progress"],
};

/** A transition as the operator names it. */
export type TransitionAction = "start" | "resume" | "hold" | "resolve" | "close" | "reopen";

/** The order transition buttons are shown in. */
export const TRANSITION_ORDER: readonly TransitionAction[] = ["start", "resume", "hold", "resolve", "close", "reopen"];

/** The state a transition leads to. */
export const TRANSITION_TARGETS: Readonly<Record<TransitionAction, IncidentState>> = {
  start: "in_progress",
  resume: "in_progress",
  hold: "on_hold",
  resolve: "resolved",
  close: "closed",
  reopen: "in_progress",
};

/** The name of the move from `from` to `to` (to in progress: start from new, resume from on hold, else reopen). */
export function transitionAction(from: IncidentState, to: IncidentState): TransitionAction {
  switch (to) {
    case "in_progress":
      return from === "new" ? "start" : from === "on_hold" ? "resume" : "reopen";
    case "on_hold":
      return "hold";
    case "resolved":
      return "resolve";
    case "closed":
      return "close";
    case "new":
      throw new Error("no transition leads back to new");
  }
}

/** Closing, and reopening a resolved or closed incident, need a supervisor. */
export function transitionNeedsSupervisor(from: IncidentState, to: IncidentState): boolean {
  return to === "closed" || from === "resolved" || from === "closed";
}

/** Operators and above work incidents. */
export function canWorkIncidents(role: string): boolean {
  return roleRank(role) >= roleRank("operator");
}

/** Supervisors and above close and reopen incidents and see the supervision tab. */
export function canSupervise(role: string): boolean {
  return roleRank(role) >= roleRank("supervisor");
}

/** The transitions the incident's state allows to the role, in button order (none for a viewer). */
export function allowedTransitions(state: IncidentState, role: string): TransitionAction[] {
  if (!canWorkIncidents(role)) return [];
  const supervisor = canSupervise(role);
  const allowed = new Set<TransitionAction>();
  for (const target of INCIDENT_TRANSITIONS[state]) {
    if (transitionNeedsSupervisor(state, target) && !supervisor) continue;
    allowed.add(transitionAction(state, target));
  }
  return TRANSITION_ORDER.filter((action) => allowed.has(action));
}

/** What a role may do with an incident in its current state. */
export interface IncidentPermissions {
  transitions: TransitionAction[];
  assign: boolean;
  disposition: boolean;
  note: boolean;
  /** Complete and skip procedure steps. */
  procedure: boolean;
}

/** Viewers read only; operators act on anything but a closed incident, where only a note (and a supervisor's
 * reopening) remains. */
export function incidentPermissions(incident: Pick<IncidentOut, "state">, role: string): IncidentPermissions {
  const works = canWorkIncidents(role);
  const open = incident.state !== "closed";
  return {
    transitions: allowedTransitions(incident.state, role),
    assign: works && open,
    disposition: works && open,
    note: works,
    procedure: works && open,
  };
}

/** True when the incident's permissions give the role no action at all (a viewer's read-only view). */
export function readOnly(permissions: IncidentPermissions): boolean {
  return (
    permissions.transitions.length === 0 &&
    !permissions.assign &&
    !permissions.disposition &&
    !permissions.note &&
    !permissions.procedure
  );
}

/** Most urgent first (priority 1 before 4), then the newest opened first, then by id (as the API sorts). */
export function compareIncidents(a: IncidentOut, b: IncidentOut): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.opened_at !== b.opened_at) return b.opened_at - a.opened_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortIncidents(incidents: Iterable<IncidentOut>): IncidentOut[] {
  return [...incidents].sort(compareIncidents);
}

export interface IncidentFilter {
  /** Only this state (null: every open state, closed excluded). */
  state: IncidentState | null;
  /** Only this site (null: all). */
  siteId: string | null;
  /** Only the incidents assigned to this user (null: anyone's). */
  assignee: string | null;
}

export const NO_INCIDENT_FILTER: IncidentFilter = { state: null, siteId: null, assignee: null };

/** The incidents the filter keeps, in the operators' order. */
export function filterIncidents(incidents: Iterable<IncidentOut>, filter: IncidentFilter): IncidentOut[] {
  const kept: IncidentOut[] = [];
  for (const incident of incidents) {
    if (filter.state === null ? incident.state === "closed" : incident.state !== filter.state) continue;
    if (filter.siteId !== null && incident.site_id !== filter.siteId) continue;
    if (filter.assignee !== null && incident.assignee !== filter.assignee) continue;
    kept.push(incident);
  }
  return kept.sort(compareIncidents);
}

/** How many incidents are in each state. */
export function countByState(incidents: Iterable<IncidentOut>): Record<IncidentState, number> {
  const counts: Record<IncidentState, number> = { new: 0, in_progress: 0, on_hold: 0, resolved: 0, closed: 0 };
  for (const incident of incidents) counts[incident.state] += 1;
  return counts;
}

/** How many incidents still take alarms and escalate (new, in progress, on hold): the incidents tab's count. */
export function countActive(incidents: Iterable<Pick<IncidentOut, "state">>): number {
  let count = 0;
  for (const incident of incidents) if (ACTIVE_INCIDENT_STATES.includes(incident.state)) count += 1;
  return count;
}

/** The timeline oldest first (as the API gives it) or newest first; entries of one instant keep their order. */
export function orderTimeline(entries: readonly TimelineEntryOut[], newestFirst: boolean): TimelineEntryOut[] {
  const indexed = entries.map((entry, index) => ({ entry, index }));
  indexed.sort((a, b) => (a.entry.ts !== b.entry.ts ? a.entry.ts - b.entry.ts : a.index - b.index));
  if (newestFirst) indexed.reverse();
  return indexed.map(({ entry }) => entry);
}

/** The desks named by these incidents, sorted, for the "assign to a desk" suggestions. */
export function knownDesks(incidents: Iterable<Pick<IncidentOut, "desk">>, extra: Iterable<string> = []): string[] {
  const desks = new Set<string>(extra);
  for (const incident of incidents) if (incident.desk !== null && incident.desk.length > 0) desks.add(incident.desk);
  return [...desks].sort();
}
