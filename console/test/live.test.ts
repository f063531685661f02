import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  backoffDelay,
  type LiveListener,
  type LiveStatus,
  LiveClient,
  liveUrl,
  parseFrame,
  type SocketLike,
} from "../src/live";
import { LiveStore } from "../src/store";
import type { Change, SnapshotFrame } from "../src/types";
import { alarm, incident } from "./fixtures";

/** A WebSocket the test drives by hand: it records what the client sends and lets the test play the server. */
class FakeSocket implements SocketLike {
  static opened: FakeSocket[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  open(): void {
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }

  static last(): FakeSocket {
    const socket = FakeSocket.opened[FakeSocket.opened.length - 1];
    if (socket === undefined) throw new Error("no socket opened");
    return socket;
  }
}

interface Recorded {
  snapshots: SnapshotFrame[];
  changes: Change[][];
  statuses: LiveStatus[];
  loggedOut: string[];
}

function makeClient(store?: LiveStore): { client: LiveClient; recorded: Recorded } {
  const recorded: Recorded = { snapshots: [], changes: [], statuses: [], loggedOut: [] };
  const listener: LiveListener = {
    snapshot: (frame) => {
      recorded.snapshots.push(frame);
      store?.applySnapshot(frame);
    },
    changes: (changes) => {
      recorded.changes.push(changes);
      store?.applyChanges(changes);
    },
    status: (status) => recorded.statuses.push(status),
    loggedOut: (reason) => recorded.loggedOut.push(reason),
  };
  const client = new LiveClient({
    url: "ws://console.test/api/live",
    token: "secret-token",
    heartbeatS: 5,
    createSocket: (url) => new FakeSocket(url),
    listener,
  });
  return { client, recorded };
}

const welcome = (resumed: boolean) => ({
  type: "welcome",
  cursor: "e1:10",
  resumed,
  user: { subject: "op", tenant_id: "t", role: "operator" },
  heartbeat_s: 5,
});

const snapshot: SnapshotFrame = {
  type: "snapshot",
  cursor: "e1:10",
  alarms: [alarm({ id: "a1" }), alarm({ id: "a2", priority: 1 })],
  devices: [{ id: "dev-1", site_id: "site-a", zone_id: null, health: "in_alarm", last_seen: 990, battery_pct: 80, alarms: 1 }],
  zones: [{ id: "z1", site_id: "site-a", count: 10, density: 0.5, level: "normal", alarms: 0, updated_at: 990 }],
  incidents: [incident({ id: "i1" })],
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2024-07-26T18:00:00Z"));
  FakeSocket.opened = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe("LiveClient", () => {
  it("says hello with the token and no cursor, then applies the snapshot and the changes", () => {
    const store = new LiveStore();
    const { client, recorded } = makeClient(store);
    client.start();
    const socket = FakeSocket.last();
    expect(socket.url).toBe("ws://console.test/api/live");
    socket.open();
    expect(socket.sent).toEqual([{ type: "hello", token: "secret-token", since: null }]);

    socket.receive(welcome(false));
    expect(client.status).toBe("live");
    expect(client.cursor).toBeNull(); // the welcome's cursor is not a state the client holds
    socket.receive(snapshot);
    expect(client.cursor).toBe("e1:10");
    expect([...store.alarms.keys()].sort()).toEqual(["a1", "a2"]);
    expect(store.devices.get("dev-1")?.health).toBe("in_alarm");
    expect([...store.incidents.keys()]).toEqual(["i1"]);

    socket.receive({
      type: "changes",
      cursor: "e1:14",
      changes: [
        { seq: 11, kind: "alarm", data: { change: "raised", actor: "engine", alarm: alarm({ id: "a3", priority: 1 }) } },
        {
          seq: 12,
          kind: "alarm",
          data: { change: "cleared", actor: "op", alarm: alarm({ id: "a1", state: "cleared", updated_at: 1010 }) },
        },
        {
          seq: 13,
          kind: "zone",
          data: { id: "z1", site_id: "site-a", count: 900, density: 4.9, level: "red", alarms: 1, updated_at: 1011 },
        },
        {
          seq: 14,
          kind: "incident",
          data: { change: "transitioned", actor: "op", incident: incident({ id: "i1", state: "in_progress", updated_at: 1012 }) },
        },
      ],
    });
    expect(client.cursor).toBe("e1:14");
    expect([...store.alarms.keys()].sort()).toEqual(["a2", "a3"]);
    expect(store.zones.get("z1")?.level).toBe("red");
    expect(store.incidents.get("i1")?.state).toBe("in_progress");
    expect(recorded.changes).toHaveLength(1);
    expect(recorded.statuses).toEqual(["live"]);
  });

  it("reconnects after a drop and resumes from its cursor", () => {
    const { client, recorded } = makeClient();
    client.start();
    const first = FakeSocket.last();
    first.open();
    first.receive(welcome(false));
    first.receive(snapshot);
    first.receive({ type: "changes", cursor: "e1:12", changes: [] });
    first.serverClose(1006);
    expect(client.status).toBe("disconnected");
    expect(FakeSocket.opened).toHaveLength(1);

    vi.advanceTimersByTime(500);
    expect(FakeSocket.opened).toHaveLength(2);
    const second = FakeSocket.last();
    second.open();
    expect(second.sent).toEqual([{ type: "hello", token: "secret-token", since: "e1:12" }]);
    second.receive(welcome(true));
    expect(client.status).toBe("live");
    expect(recorded.statuses).toEqual(["live", "disconnected", "live"]);
    expect(recorded.snapshots).toHaveLength(1);
  });

  it("takes the heartbeat's cursor once it holds a state", () => {
    const { client } = makeClient();
    client.start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive(welcome(false));
    socket.receive({ type: "heartbeat", cursor: "e1:3", ts: 1 });
    expect(client.cursor).toBeNull();
    socket.receive(snapshot);
    socket.receive({ type: "heartbeat", cursor: "e1:11", ts: 2 });
    expect(client.cursor).toBe("e1:11");
  });

  it("shows the stream stale after two heartbeats of silence and reconnects with the cursor", () => {
    const { client } = makeClient();
    client.start();
    const first = FakeSocket.last();
    first.open();
    first.receive(welcome(false));
    first.receive(snapshot);

    vi.advanceTimersByTime(5_000);
    first.receive({ type: "heartbeat", cursor: "e1:10", ts: 1 });
    vi.advanceTimersByTime(9_000);
    expect(client.status).toBe("live");
    vi.advanceTimersByTime(1_500); // 10 s since the last frame
    expect(client.status).toBe("stale");
    expect(first.closedWith?.code).toBe(4000);
    const second = FakeSocket.last();
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent).toEqual([{ type: "hello", token: "secret-token", since: "e1:10" }]);
    first.serverClose(1006); // the old socket's late close changes nothing
    expect(client.status).toBe("stale");
    second.receive(welcome(true));
    expect(client.status).toBe("live");
  });

  it("backs off exponentially from 0.5 s to 10 s, and starts again after a welcome", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9].map(backoffDelay)).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    const { client } = makeClient();
    client.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const socket = FakeSocket.last();
      const count = FakeSocket.opened.length;
      socket.serverClose(1006);
      let waited = 0;
      while (FakeSocket.opened.length === count) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);

    const socket = FakeSocket.last();
    socket.open();
    socket.receive(welcome(false));
    const count = FakeSocket.opened.length;
    socket.serverClose(1006);
    vi.advanceTimersByTime(499);
    expect(FakeSocket.opened).toHaveLength(count);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.opened).toHaveLength(count + 1);
    client.stop();
  });

  it("logs out on close 4401 and does not reconnect", () => {
    const { client, recorded } = makeClient();
    client.start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive(welcome(false));
    socket.serverClose(4401, "token expired");
    expect(recorded.loggedOut).toEqual(["token expired"]);
    expect(client.status).toBe("disconnected");
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it("drops its cursor after 4400 and reconnects at once after 4408", () => {
    const { client } = makeClient();
    client.start();
    let socket = FakeSocket.last();
    socket.open();
    socket.receive(welcome(false));
    socket.receive(snapshot);
    socket.serverClose(4408, "too slow");
    vi.advanceTimersByTime(500);
    socket = FakeSocket.last();
    socket.open();
    expect(socket.sent).toEqual([{ type: "hello", token: "secret-token", since: "e1:10" }]);
    socket.serverClose(4400, "since: not a cursor");
    vi.advanceTimersByTime(1000);
    socket = FakeSocket.last();
    socket.open();
    expect(socket.sent).toEqual([{ type: "hello", token: "secret-token", since: null }]);
    client.stop();
  });

  it("sends the sites it is limited to", () => {
    const client = new LiveClient({
      url: "ws://x/api/live",
      token: "tok",
      heartbeatS: 5,
      sites: ["stade", "arena"],
      createSocket: (url) => new FakeSocket(url),
      listener: { snapshot: () => {}, changes: () => {}, status: () => {}, loggedOut: () => {} },
    });
    client.start();
    FakeSocket.last().open();
    expect(FakeSocket.last().sent).toEqual([{ type: "hello", token: "tok", since: null, sites: ["stade", "arena"] }]);
    client.stop();
  });

  it("stops for good: no reconnection and the socket closed", () => {
    const { client } = makeClient();
    client.start();
    const socket = FakeSocket.last();
    socket.open();
    client.stop();
    expect(socket.closedWith?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });
});

describe("frames and URLs", () => {
  it("parses known frames and ignores the rest", () => {
    expect(parseFrame('{"type":"heartbeat","cursor":"e:1","ts":1}')).toEqual({ type: "heartbeat", cursor: "e:1", ts: 1 });
    expect(parseFrame('{"type":"mystery"}')).toBeNull();
    expect(parseFrame("not json")).toBeNull();
    expect(parseFrame(42)).toBeNull();
  });

  it("derives ws: and wss: URLs from the page", () => {
    expect(liveUrl({ protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/api/live");
    expect(liveUrl({ protocol: "https:", host: "beffroi.example" })).toBe("wss://beffroi.example/api/live");
  });
});
