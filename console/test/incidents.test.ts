import { describe, expect, it } from "vitest";
import {
  allowedTransitions,
  canSupervise,
  canWorkIncidents,
  countByState,
  filterIncidents,
  incidentPermissions,
  INCIDENT_STATES,
  INCIDENT_TRANSITIONS,
  knownDesks,
  NO_INCIDENT_FILTER,
  orderTimeline,
  readOnly,
  sortIncidents,
  transitionAction,
  TRANSITION_TARGETS,
} from "../src/incidents";
import { incident, timelineEntry } from "./fixtures";

describe("incident order", () => {
  it("puts priority 1 first, then the newest opened first, then by id", () => {
    const incidents = [
      incident({ id: "old-p2", priority: 2, opened_at: 100 }),
      incident({ id: "new-p2", priority: 2, opened_at: 300 }),
      incident({ id: "p4", priority: 4, opened_at: 900 }),
      incident({ id: "b-p1", priority: 1, opened_at: 50 }),
      incident({ id: "a-p1", priority: 1, opened_at: 50 }),
    ];
    expect(sortIncidents(incidents).map((entry) => entry.id)).toEqual(["a-p1", "b-p1", "new-p2", "old-p2", "p4"]);
  });
});

describe("incident filters", () => {
  const incidents = [
    incident({ id: "n", state: "new", site_id: "s1", priority: 3 }),
    incident({ id: "p", state: "in_progress", site_id: "s2", assignee: "alice", priority: 1 }),
    incident({ id: "h", state: "on_hold", site_id: "s1", assignee: "bob", priority: 2 }),
    incident({ id: "r", state: "resolved", site_id: "s1", assignee: "alice", priority: 4 }),
    incident({ id: "c", state: "closed", site_id: "s1", priority: 1 }),
  ];

  it("keeps every open incident, closed ones left out, in the operators' order", () => {
    expect(filterIncidents(incidents, NO_INCIDENT_FILTER).map((entry) => entry.id)).toEqual(["p", "h", "n", "r"]);
  });

  it("filters by state, site and assignee", () => {
    expect(filterIncidents(incidents, { ...NO_INCIDENT_FILTER, state: "on_hold" }).map((entry) => entry.id)).toEqual(["h"]);
    expect(filterIncidents(incidents, { ...NO_INCIDENT_FILTER, state: "closed" }).map((entry) => entry.id)).toEqual(["c"]);
    expect(filterIncidents(incidents, { ...NO_INCIDENT_FILTER, siteId: "s1" }).map((entry) => entry.id)).toEqual(["h", "n", "r"]);
    expect(filterIncidents(incidents, { ...NO_INCIDENT_FILTER, assignee: "alice" }).map((entry) => entry.id)).toEqual(["p", "r"]);
  });

  it("counts incidents per state", () => {
    expect(countByState(incidents)).toEqual({ new: 1, in_progress: 1, on_hold: 1, resolved: 1, closed: 1 });
  });

  it("lists the desks incidents name, with extra ones, once and sorted", () => {
    expect(knownDesks([{ desk: "paris" }, { desk: null }, { desk: "main" }, { desk: "paris" }], ["regions"])).toEqual([
      "main",
      "paris",
      "regions",
    ]);
  });
});

describe("incident lifecycle", () => {
  it("names each transition of the domain and leads where its name says", () => {
    for (const from of INCIDENT_STATES) {
      for (const to of INCIDENT_TRANSITIONS[from]) expect(TRANSITION_TARGETS[transitionAction(from, to)]).toBe(to);
    }
    expect(transitionAction("new", "in_progress")).toBe("start");
    expect(transitionAction("on_hold", "in_progress")).toBe("resume");
    expect(transitionAction("resolved", "in_progress")).toBe("reopen");
    expect(transitionAction("closed", "in_progress")).toBe("reopen");
  });

  it("gives an operator the transitions of the state, but not closing or reopening", () => {
    expect(allowedTransitions("new", "operator")).toEqual(["start", "hold", "resolve"]);
    expect(allowedTransitions("in_progress", "operator")).toEqual(["hold", "resolve"]);
    expect(allowedTransitions("on_hold", "operator")).toEqual(["resume", "resolve"]);
    expect(allowedTransitions("resolved", "operator")).toEqual([]);
    expect(allowedTransitions("closed", "operator")).toEqual([]);
  });

  it("lets a supervisor (and an admin) close and reopen", () => {
    expect(allowedTransitions("resolved", "supervisor")).toEqual(["close", "reopen"]);
    expect(allowedTransitions("closed", "admin")).toEqual(["reopen"]);
    expect(allowedTransitions("new", "supervisor")).toEqual(["start", "hold", "resolve"]);
  });

  it("gives a viewer nothing to do, whatever the state", () => {
    for (const state of INCIDENT_STATES) {
      expect(allowedTransitions(state, "viewer")).toEqual([]);
      expect(readOnly(incidentPermissions({ state }, "viewer"))).toBe(true);
    }
    expect(readOnly(incidentPermissions({ state: "new" }, "someone"))).toBe(true);
  });

  it("leaves only a note to an operator on a closed incident", () => {
    expect(incidentPermissions({ state: "closed" }, "operator")).toEqual({
      transitions: [],
      assign: false,
      disposition: false,
      note: true,
      procedure: false,
    });
    expect(incidentPermissions({ state: "resolved" }, "operator")).toEqual({
      transitions: [],
      assign: true,
      disposition: true,
      note: true,
      procedure: true,
    });
  });

  it("ranks roles", () => {
    expect(["viewer", "operator", "supervisor", "admin"].map(canWorkIncidents)).toEqual([false, true, true, true]);
    expect(["viewer", "operator", "supervisor", "admin"].map(canSupervise)).toEqual([false, false, true, true]);
  });
});

describe("the timeline", () => {
  const entries = [
    timelineEntry({ id: "a", ts: 10 }),
    timelineEntry({ id: "b", ts: 30 }),
    timelineEntry({ id: "c", ts: 20 }),
    timelineEntry({ id: "d", ts: 30 }),
  ];

  it("reads oldest first, entries of one instant in their order", () => {
    expect(orderTimeline(entries, false).map((entry) => entry.id)).toEqual(["a", "c", "b", "d"]);
  });

  it("reads newest first as the exact reverse", () => {
    expect(orderTimeline(entries, true).map((entry) => entry.id)).toEqual(["d", "b", "c", "a"]);
    expect(entries.map((entry) => entry.id)).toEqual(["a", "b", "c", "d"]);
  });
});
