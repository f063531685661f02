import { describe, expect, it } from "vitest";
import { countActive } from "../src/incidents";
import { LiveStore, type StoreUpdate, touchesIncident } from "../src/store";
import type { Change, IncidentChangeKind, IncidentOut, SnapshotFrame } from "../src/types";
import { incident } from "./fixtures";

function snapshot(incidents: IncidentOut[], cursor = "e:1"): SnapshotFrame {
  return { type: "snapshot", cursor, alarms: [], devices: [], zones: [], incidents };
}

function incidentChange(seq: number, held: IncidentOut, change: IncidentChangeKind = "transitioned"): Change {
  return { seq, kind: "incident", data: { change, actor: "alice", incident: held } };
}

/** A store and the updates it emitted. */
function recording(): { store: LiveStore; updates: StoreUpdate[] } {
  const store = new LiveStore();
  const updates: StoreUpdate[] = [];
  store.subscribe((update) => updates.push(update));
  return { store, updates };
}

describe("the live store's incidents", () => {
  it("are the snapshot's open incidents", () => {
    const { store, updates } = recording();
    store.applySnapshot(
      snapshot([incident({ id: "a", state: "new" }), incident({ id: "b", state: "resolved" }), incident({ id: "c", state: "closed" })]),
    );
    expect([...store.incidents.keys()].sort()).toEqual(["a", "b"]); // a closed one is never listed
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ reset: true, incidentsChanged: true });
    expect([...updates[0]!.incidentIds].sort()).toEqual(["a", "b"]);
  });

  it("take each change's new summary, in order, and drop a closed incident", () => {
    const { store, updates } = recording();
    store.applySnapshot(snapshot([incident({ id: "a" }), incident({ id: "b" })]));
    store.applyChanges([
      incidentChange(2, incident({ id: "n", priority: 1, opened_at: 2000, updated_at: 2000 }), "opened"),
      incidentChange(3, incident({ id: "a", state: "in_progress", assignee: "alice", updated_at: 1100 })),
      incidentChange(4, incident({ id: "b", state: "closed", updated_at: 1200 })),
    ]);
    expect([...store.incidents.keys()].sort()).toEqual(["a", "n"]);
    expect(store.incidents.get("a")).toMatchObject({ state: "in_progress", assignee: "alice" });
    const last = updates[updates.length - 1]!;
    expect(last).toMatchObject({ reset: false, alarmsChanged: false, incidentsChanged: true, incidentIds: ["n", "a", "b"] });
    expect(countActive(store.incidents.values())).toBe(2);
  });

  it("are replaced by the next snapshot", () => {
    const { store } = recording();
    store.applySnapshot(snapshot([incident({ id: "a" }), incident({ id: "b" })]));
    store.applySnapshot(snapshot([incident({ id: "c" })], "f:1"));
    expect([...store.incidents.keys()]).toEqual(["c"]);
  });

  it("show the answer to the operator's own action at once, and a stream change older than it does not undo it", () => {
    const { store, updates } = recording();
    store.applySnapshot(snapshot([incident({ id: "a", updated_at: 1000 })]));
    const started = incident({ id: "a", state: "in_progress", updated_at: 1050 });
    store.applyIncidentActionResult({ change: "transitioned", incident: started, actor: "alice", timeline: [] });
    expect(store.incidents.get("a")?.state).toBe("in_progress");
    expect(updates[updates.length - 1]).toMatchObject({ incidentsChanged: true, incidentIds: ["a"], alarmsChanged: false });

    store.applyChanges([incidentChange(2, incident({ id: "a", escalation_level: 1, updated_at: 1020 }), "escalated")]);
    expect(store.incidents.get("a")).toMatchObject({ state: "in_progress", escalation_level: 0 });
    store.applyChanges([incidentChange(3, incident({ id: "a", state: "in_progress", escalation_level: 1, updated_at: 1050 }))]);
    expect(store.incidents.get("a")?.escalation_level).toBe(1); // the same time: the stream's is as new
  });

  it("ignore an action's answer older than what is held, or of an incident no longer held", () => {
    const { store, updates } = recording();
    store.applySnapshot(snapshot([incident({ id: "a", state: "on_hold", updated_at: 1100 })]));
    store.applyIncidentActionResult({ change: "transitioned", incident: incident({ id: "a", updated_at: 1000 }), actor: "op", timeline: [] });
    store.applyIncidentActionResult({ change: "transitioned", incident: incident({ id: "gone", updated_at: 9000 }), actor: "op", timeline: [] });
    expect(store.incidents.get("a")?.state).toBe("on_hold");
    expect(store.incidents.has("gone")).toBe(false);
    expect(updates).toHaveLength(1); // the snapshot only
  });
});

describe("touchesIncident", () => {
  const update = (overrides: Partial<StoreUpdate>): StoreUpdate => ({
    reset: false,
    alarmsChanged: false,
    raised: [],
    deviceIds: [],
    zoneIds: [],
    incidentsChanged: false,
    incidentIds: [],
    ...overrides,
  });

  it("says the incident shown must be reloaded after a snapshot or a change of it, not after others' changes", () => {
    expect(touchesIncident(update({ reset: true }), "a")).toBe(true);
    expect(touchesIncident(update({ incidentsChanged: true, incidentIds: ["b", "a"] }), "a")).toBe(true);
    expect(touchesIncident(update({ incidentsChanged: true, incidentIds: ["b"] }), "a")).toBe(false);
    expect(touchesIncident(update({ alarmsChanged: true, deviceIds: ["a"] }), "a")).toBe(false);
    expect(touchesIncident(update({ reset: true }), null)).toBe(false); // no incident shown
  });
});
