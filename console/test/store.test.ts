import { describe, expect, it } from "vitest";
import { LiveStore } from "../src/store";
import type { DeviceState } from "../src/types";
import { alarm } from "./fixtures";

function deviceState(id: string, lastSeen: number | null): DeviceState {
  return { id, site_id: "site-a", zone_id: null, health: "ok", last_seen: lastSeen, battery_pct: null, alarms: 0 };
}

describe("LiveStore data time", () => {
  it("is the newest timestamp the data speaks of, from the snapshot then from changes", () => {
    const store = new LiveStore();
    store.applySnapshot({
      type: "snapshot",
      cursor: "e:1",
      alarms: [alarm({ id: "a", last_triggered_at: 2_000 })],
      devices: [deviceState("d1", 1_500), deviceState("d2", null)],
      zones: [],
      incidents: [],
    });
    expect(store.dataTime).toBe(2_000);
    store.applyChanges([{ seq: 2, kind: "device", data: deviceState("d1", 2_600) }]);
    expect(store.dataTime).toBe(2_600);
    store.applyChanges([
      { seq: 3, kind: "alarm", data: { change: "raised", actor: "engine", alarm: alarm({ id: "b", last_triggered_at: 2_400 }) } },
    ]);
    expect(store.dataTime).toBe(2_600);
  });

  it("starts again from the next snapshot", () => {
    const store = new LiveStore();
    store.applySnapshot({ type: "snapshot", cursor: "e:1", alarms: [], devices: [deviceState("d1", 9_000)], zones: [], incidents: [] });
    store.applySnapshot({ type: "snapshot", cursor: "f:1", alarms: [], devices: [deviceState("d1", 100)], zones: [], incidents: [] });
    expect(store.dataTime).toBe(100);
  });
});
