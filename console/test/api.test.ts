import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, DEFAULT_CONFIG, describeErrorBody, describeFailure } from "../src/api";
import { loadSession, saveSession } from "../src/session";
import { chartGeometry } from "../src/ui/chart";
import { shelveSeconds } from "../src/ui/shelve-dialog";
import { describeDetails } from "../src/ui/audit";
import { device } from "./fixtures";

type Call = { url: string; init: RequestInit | undefined };

function fakeFetch(answer: (url: string) => { status: number; body: unknown }): { fetcher: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    const { status, body } = answer(url);
    return new Response(body === undefined ? "" : JSON.stringify(body), { status });
  }) as typeof fetch;
  return { fetcher, calls };
}

describe("the REST client", () => {
  it("sends the bearer token and pages through the devices", async () => {
    const all = Array.from({ length: 5 }, (_, index) => device(`d${index}`, "s", null, [0, 0]));
    const { fetcher, calls } = fakeFetch((url) => {
      const offset = Number(new URL(url, "http://x").searchParams.get("offset"));
      return { status: 200, body: { items: all.slice(offset, offset + 2), total: 5, limit: 2, offset } };
    });
    const api = new ApiClient(() => {}, fetcher);
    api.setToken("tok");
    const devices = await api.devices();
    expect(devices.map((entry) => entry.id)).toEqual(["d0", "d1", "d2", "d3", "d4"]);
    expect(calls.map((call) => call.url)).toEqual([
      "/api/devices?limit=10000&offset=0",
      "/api/devices?limit=10000&offset=2",
      "/api/devices?limit=10000&offset=4",
    ]);
    expect((calls[0]!.init!.headers as Record<string, string>).Authorization).toBe("Bearer tok");
  });

  it("turns error bodies into ApiError and reports a 401 once per call", async () => {
    let unauthorised = 0;
    const { fetcher } = fakeFetch((url) =>
      url.includes("acknowledge")
        ? { status: 409, body: { reason: "invalid_transition", detail: "alarm is acknowledged" } }
        : { status: 401, body: { reason: "invalid_token", detail: "expired" } },
    );
    const api = new ApiClient(() => (unauthorised += 1), fetcher);
    await expect(api.acknowledge("a1")).rejects.toMatchObject({ status: 409, reason: "invalid_transition", detail: "alarm is acknowledged" });
    await expect(api.sites()).rejects.toBeInstanceOf(ApiError);
    expect(unauthorised).toBe(1);
  });

  it("does not treat a refused login as a lost session", async () => {
    let unauthorised = 0;
    const { fetcher, calls } = fakeFetch(() => ({ status: 401, body: { reason: "invalid_credentials", detail: "no" } }));
    const api = new ApiClient(() => (unauthorised += 1), fetcher);
    await expect(api.login("t", "u", "p")).rejects.toMatchObject({ status: 401 });
    expect(unauthorised).toBe(0);
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ tenant: "t", username: "u", password: "p" });
  });

  it("falls back to the offline defaults when the server has no console config", async () => {
    const { fetcher } = fakeFetch(() => ({ status: 404, body: { reason: "not_found", detail: "no" } }));
    expect(await new ApiClient(() => {}, fetcher).config()).toEqual(DEFAULT_CONFIG);
    const partial = fakeFetch(() => ({ status: 200, body: { default_language: "en", heartbeat_s: 2 } }));
    expect(await new ApiClient(() => {}, partial.fetcher).config()).toEqual({ ...DEFAULT_CONFIG, default_language: "en", heartbeat_s: 2 });
  });

  it("asks for incidents with repeated states and sends each action's body to its route", async () => {
    const { fetcher, calls } = fakeFetch(() => ({ status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } }));
    const api = new ApiClient(() => {}, fetcher);
    await api.incidents(["new", "on_hold"]);
    await api.incidents();
    await api.transitionIncident("i/1", "resolved");
    await api.assignIncident("i1", "alice", null);
    await api.setDisposition("i1", "duplicate", "i0");
    await api.setDisposition("i1", "false");
    await api.addIncidentNote("i1", "patrol on site");
    await api.completeStep("i1", "verify", { choice: "confirmed", checked: [0, 1], note: "" });
    await api.completeStep("i1", "debrief", { choice: null, checked: [], note: "ok" });
    await api.skipStep("i1", "meet", "no steward free");
    await api.falseAlarmRates("rule");
    expect(calls.map((call) => `${call.init?.method} ${call.url}`)).toEqual([
      "GET /api/incidents?state=new&state=on_hold&limit=500",
      "GET /api/incidents?limit=500",
      "POST /api/incidents/i%2F1/transition",
      "POST /api/incidents/i1/assign",
      "POST /api/incidents/i1/disposition",
      "POST /api/incidents/i1/disposition",
      "POST /api/incidents/i1/notes",
      "POST /api/incidents/i1/procedure/steps/verify/complete",
      "POST /api/incidents/i1/procedure/steps/debrief/complete",
      "POST /api/incidents/i1/procedure/steps/meet/skip",
      "GET /api/supervision/false-alarm-rates?by=rule",
    ]);
    expect(calls.slice(2, 10).map((call) => JSON.parse(String(call.init!.body)))).toEqual([
      { to: "resolved", reason: "" },
      { assignee: "alice" },
      { disposition: "duplicate", duplicate_of: "i0" },
      { disposition: "false" },
      { text: "patrol on site" },
      { choice: "confirmed", checked: [0, 1], note: "" },
      { checked: [], note: "ok" },
      { justification: "no steward free" },
    ]);
  });

  it("reads the alarm rates, or null where the server has no such route", async () => {
    const rates = { window_s: 600, desks: [{ desk: "main", alarms_in_window: 2, peak: 3, flooding: false, floods: 0 }], sites: [] };
    const present = fakeFetch(() => ({ status: 200, body: rates }));
    expect(await new ApiClient(() => {}, present.fetcher).alarmRates()).toEqual(rates);
    const absent = fakeFetch(() => ({ status: 404, body: { detail: "Not Found" } }));
    expect(await new ApiClient(() => {}, absent.fetcher).alarmRates()).toBeNull();
    const broken = fakeFetch(() => ({ status: 500, body: { reason: "internal", detail: "boom" } }));
    await expect(new ApiClient(() => {}, broken.fetcher).alarmRates()).rejects.toMatchObject({ status: 500 });
  });

  it("describes a refused action with the server's detail and reason", () => {
    expect(describeFailure(new ApiError(409, "invalid_transition", "cannot close without a disposition"))).toBe(
      "cannot close without a disposition (invalid_transition)",
    );
    expect(describeFailure(new ApiError(403, "forbidden", ""))).toBe("forbidden");
    expect(describeFailure(new Error("offline"))).toBe("offline");
  });

  it("reads both error body shapes", () => {
    expect(describeErrorBody(409, { reason: "r", detail: "d" })).toEqual({ reason: "r", detail: "d" });
    expect(describeErrorBody(403, { error: { code: "forbidden", message: "no" } })).toEqual({ reason: "forbidden", detail: "no" });
    expect(describeErrorBody(500, "boom")).toEqual({ reason: "http_500", detail: "HTTP 500" });
  });
});

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe("session storage", () => {
  it("keeps a session until it expires", () => {
    const storage = new MemoryStorage();
    saveSession(storage, { token: "t", expiresAt: 2000, tenant: "paris", username: "op", role: "operator" });
    expect(loadSession(storage, 1000)?.username).toBe("op");
    expect(loadSession(storage, 2000)).toBeNull();
    storage.setItem("beffroi.session", "{broken");
    expect(loadSession(storage, 1000)).toBeNull();
  });
});

describe("small helpers", () => {
  it("lays out a chart in time order, value up", () => {
    const geometry = chartGeometry(
      [
        { ts: 20, value: 5 },
        { ts: 10, value: 0 },
        { ts: 30, value: 10 },
      ],
      100,
      50,
      0,
    )!;
    expect(geometry.points).toBe("0.0,50.0 50.0,25.0 100.0,0.0");
    expect([geometry.min, geometry.max]).toEqual([0, 10]);
    expect(chartGeometry([{ ts: 1, value: 3 }], 100, 50, 0)!.points).toBe("100.0,25.0");
    expect(chartGeometry([], 100, 50)).toBeNull();
  });

  it("reads the shelve duration in minutes", () => {
    expect(shelveSeconds("60")).toBe(3600);
    expect(shelveSeconds("1,5")).toBe(90);
    expect(shelveSeconds("0")).toBeNull();
    expect(shelveSeconds("abc")).toBeNull();
    expect(shelveSeconds(String(8 * 24 * 60))).toBeNull();
  });

  it("writes audit details as sorted key=value pairs", () => {
    expect(describeDetails({ to_state: "acknowledged", from_state: "unacknowledged" })).toBe(
      "from_state=unacknowledged, to_state=acknowledged",
    );
  });
});
