import { describe, expect, it } from "vitest";
import {
  allowedActions,
  canActOnAlarms,
  canReadAudit,
  countAlarmsBySite,
  filterAlarms,
  NO_FILTER,
  sortAlarms,
} from "../src/alarms";
import { LiveStore } from "../src/store";
import type { AlarmOut } from "../src/types";
import { alarm } from "./fixtures";

const siteOf = (entry: AlarmOut) => entry.key.site_id;

describe("alarm order", () => {
  it("puts priority 1 first, then the newest raised first, then by id", () => {
    const alarms = [
      alarm({ id: "old-p2", priority: 2, raised_at: 100 }),
      alarm({ id: "new-p2", priority: 2, raised_at: 300 }),
      alarm({ id: "p4", priority: 4, raised_at: 900 }),
      alarm({ id: "b-p1", priority: 1, raised_at: 50 }),
      alarm({ id: "a-p1", priority: 1, raised_at: 50 }),
    ];
    expect(sortAlarms(alarms).map((entry) => entry.id)).toEqual(["a-p1", "b-p1", "new-p2", "old-p2", "p4"]);
  });
});

describe("alarm filters", () => {
  const alarms = [
    alarm({ id: "a", key: { tenant_id: "t", source: "d", type: "smoke", site_id: "s1", zone_id: null } }),
    alarm({ id: "b", state: "shelved", key: { tenant_id: "t", source: "d", type: "smoke", site_id: "s1", zone_id: null } }),
    alarm({ id: "c", state: "acknowledged", key: { tenant_id: "t", source: "d", type: "smoke", site_id: "s2", zone_id: null } }),
    alarm({ id: "d", state: "cleared", key: { tenant_id: "t", source: "d", type: "smoke", site_id: "s1", zone_id: null } }),
  ];

  it("keeps every open alarm without a filter", () => {
    expect(filterAlarms(alarms, NO_FILTER, siteOf).map((entry) => entry.id)).toEqual(["a", "b", "c"]);
  });

  it("filters by site", () => {
    expect(filterAlarms(alarms, { siteId: "s1", state: null }, siteOf).map((entry) => entry.id)).toEqual(["a", "b"]);
  });

  it("filters by state, and 'active' hides shelved alarms", () => {
    expect(filterAlarms(alarms, { siteId: null, state: "acknowledged" }, siteOf).map((entry) => entry.id)).toEqual(["c"]);
    expect(filterAlarms(alarms, { siteId: null, state: "active" }, siteOf).map((entry) => entry.id)).toEqual(["a", "c"]);
  });
});

describe("actions and roles", () => {
  it("allows acknowledge only while unacknowledged", () => {
    expect(allowedActions(alarm({ id: "x", state: "unacknowledged" }))).toEqual(["acknowledge", "shelve", "clear"]);
    expect(allowedActions(alarm({ id: "x", state: "rtn_unacknowledged" }))).toEqual(["acknowledge", "shelve", "clear"]);
    expect(allowedActions(alarm({ id: "x", state: "acknowledged" }))).toEqual(["shelve", "clear"]);
    expect(allowedActions(alarm({ id: "x", state: "shelved" }))).toEqual(["clear"]);
    expect(allowedActions(alarm({ id: "x", state: "cleared" }))).toEqual([]);
  });

  it("gives actions to operators and the audit log to supervisors", () => {
    expect(["viewer", "operator", "supervisor", "admin", "nobody"].map(canActOnAlarms)).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(["viewer", "operator", "supervisor", "admin"].map(canReadAudit)).toEqual([false, false, true, true]);
  });
});

describe("site badges", () => {
  it("counts open, annunciated alarms per site with the worst priority", () => {
    const counts = countAlarmsBySite(
      [
        alarm({ id: "1", priority: 3, key: { tenant_id: "t", source: "d", type: "x", site_id: "s1", zone_id: null } }),
        alarm({ id: "2", priority: 1, key: { tenant_id: "t", source: "d", type: "x", site_id: "s1", zone_id: null } }),
        alarm({ id: "3", priority: 1, state: "shelved", key: { tenant_id: "t", source: "d", type: "x", site_id: "s2", zone_id: null } }),
        alarm({ id: "4", priority: 2, key: { tenant_id: "t", source: "d", type: "x", site_id: null, zone_id: null } }),
      ],
      siteOf,
    );
    expect(Object.fromEntries(counts)).toEqual({ s1: { count: 2, worstPriority: 1 } });
  });
});

describe("the live store", () => {
  it("applies an action's answer unless it holds a newer state", () => {
    const store = new LiveStore();
    store.applySnapshot({ type: "snapshot", cursor: "e:1", alarms: [alarm({ id: "a", updated_at: 10 })], devices: [], zones: [], incidents: [] });
    store.applyActionResult({ change: "acknowledged", actor: "op", alarm: alarm({ id: "a", state: "acknowledged", updated_at: 12 }) });
    expect(store.alarms.get("a")?.state).toBe("acknowledged");
    store.applyActionResult({ change: "shelved", actor: "op", alarm: alarm({ id: "a", state: "shelved", updated_at: 11 }) });
    expect(store.alarms.get("a")?.state).toBe("acknowledged");
    store.applyActionResult({ change: "cleared", actor: "op", alarm: alarm({ id: "a", state: "cleared", updated_at: 13 }) });
    expect(store.alarms.has("a")).toBe(false);
    store.applyActionResult({ change: "acknowledged", actor: "op", alarm: alarm({ id: "a", state: "acknowledged", updated_at: 12 }) });
    expect(store.alarms.has("a")).toBe(false);
  });

  it("reports raised alarms and what changed", () => {
    const store = new LiveStore();
    const updates: { raised: string[]; zones: string[]; devices: string[] }[] = [];
    store.subscribe((update) =>
      updates.push({ raised: update.raised.map((entry) => entry.id), zones: update.zoneIds, devices: update.deviceIds }),
    );
    store.applyChanges([
      { seq: 1, kind: "alarm", data: { change: "raised", actor: "engine", alarm: alarm({ id: "n" }) } },
      { seq: 2, kind: "alarm", data: { change: "acknowledged", actor: "op", alarm: alarm({ id: "m", state: "acknowledged" }) } },
      { seq: 3, kind: "device", data: { id: "d", site_id: "s", zone_id: null, health: "silent", last_seen: null, battery_pct: null, alarms: 1 } },
    ]);
    expect(updates).toEqual([{ raised: ["n"], zones: [], devices: ["d"] }]);
    expect(store.alarms.size).toBe(2);
  });
});
