/**
 * The live-stream client (docs/live-stream.md): connects to `/api/live`, says hello with the token and the last
 * cursor, hands snapshots and changes to its listener, and reconnects with exponential back-off. It knows nothing of
 * the DOM, so the tests drive it with a fake WebSocket and fake timers.
 */

import type { Change, ServerFrame, SnapshotFrame, WelcomeFrame } from "./types";

/** What the top bar shows: frames arriving, none for 2 × heartbeat, or no socket (reconnecting). */
export type LiveStatus = "live" | "stale" | "disconnected";

/** The part of the browser's WebSocket the client uses. */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

/** What the client tells the application. */
export interface LiveListener {
  /** The server's full state: replace everything held. */
  snapshot(frame: SnapshotFrame): void;
  /** Changes after the last cursor, in sequence order. */
  changes(changes: Change[]): void;
  /** The stream's status changed. */
  status(status: LiveStatus): void;
  /** The server refused the token (close 4401): the user must log in again. */
  loggedOut(reason: string): void;
  /** The server accepted the hello. */
  welcome?(frame: WelcomeFrame): void;
}

export interface LiveOptions {
  url: string;
  token: string;
  heartbeatS: number;
  createSocket: SocketFactory;
  listener: LiveListener;
  /** Only these sites (empty: every site of the tenant). */
  sites?: string[];
  /** Milliseconds since the epoch; `Date.now` unless a test gives another clock. */
  now?: () => number;
}

export const CLOSE_UNAUTHORISED = 4401;
export const CLOSE_BAD_HELLO = 4400;
export const CLOSE_TOO_SLOW = 4408;
/** The code the client closes with when it gives up on a silent socket. */
export const CLOSE_STALE = 4000;

export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 10_000;
const STALE_CHECK_MS = 500;

/** The delay before reconnection attempt `attempt` (0-based): 0.5 s, 1 s, 2 s… at most 10 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt));
}

/** The stream's URL for a page served from `location` (ws: for http:, wss: for https:). */
export function liveUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/live`;
}

/** A parsed frame, or null when the text is not one the client knows. */
export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const type = (value as { type?: unknown }).type;
  if (type === "welcome" || type === "snapshot" || type === "changes" || type === "heartbeat") {
    return value as ServerFrame;
  }
  return null;
}

/** One live session: `start()` once, `stop()` at logout. */
export class LiveClient {
  private readonly options: LiveOptions;
  private readonly now: () => number;
  private socket: SocketLike | null = null;
  private cursorValue: string | null = null;
  private statusValue: LiveStatus = "disconnected";
  private heartbeatMs: number;
  private attempt = 0;
  private lastFrameAt = 0;
  private welcomed = false;
  private running = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private staleTimer: ReturnType<typeof setInterval> | null = null;

  constructor(options: LiveOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = Math.max(1, options.heartbeatS) * 1000;
  }

  /** The cursor of the newest state held (null before the first snapshot). */
  get cursor(): string | null {
    return this.cursorValue;
  }

  get status(): LiveStatus {
    return this.statusValue;
  }

  /** Milliseconds since the epoch of the last frame heard (0: none yet). */
  get lastFrameTime(): number {
    return this.lastFrameAt;
  }

  /** Open the first connection and watch for silence. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.staleTimer = setInterval(() => this.checkStale(), STALE_CHECK_MS);
    this.connect();
  }

  /** Close for good (logout): no reconnection. */
  stop(): void {
    this.running = false;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.staleTimer !== null) clearInterval(this.staleTimer);
    this.reconnectTimer = null;
    this.staleTimer = null;
    this.dropSocket(1000, "logout");
    this.setStatus("disconnected");
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (!this.running) return;
    this.welcomed = false;
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.lastFrameAt = this.now();
    socket.onopen = () => this.sayHello(socket);
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
    socket.onerror = () => undefined; // a close always follows
  }

  private sayHello(socket: SocketLike): void {
    if (socket !== this.socket) return;
    const hello: Record<string, unknown> = { type: "hello", token: this.options.token, since: this.cursorValue };
    const sites = this.options.sites ?? [];
    if (sites.length > 0) hello.sites = sites;
    socket.send(JSON.stringify(hello));
  }

  private receive(socket: SocketLike, data: unknown): void {
    if (socket !== this.socket) return;
    const frame = parseFrame(data);
    if (frame === null) return;
    this.lastFrameAt = this.now();
    switch (frame.type) {
      case "welcome":
        // The welcome's cursor is not taken: the state it names arrives in the frames that follow.
        this.welcomed = true;
        this.attempt = 0;
        if (typeof frame.heartbeat_s === "number" && frame.heartbeat_s > 0) this.heartbeatMs = frame.heartbeat_s * 1000;
        this.options.listener.welcome?.(frame);
        this.setStatus("live");
        return;
      case "snapshot":
        this.cursorValue = frame.cursor;
        this.options.listener.snapshot(frame);
        break;
      case "changes":
        this.cursorValue = frame.cursor;
        if (frame.changes.length > 0) this.options.listener.changes(frame.changes);
        break;
      case "heartbeat":
        if (this.cursorValue !== null) this.cursorValue = frame.cursor;
        break;
    }
    if (this.welcomed) this.setStatus("live");
  }

  private closed(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    if (!this.running) return;
    if (code === CLOSE_UNAUTHORISED) {
      this.stop();
      this.options.listener.loggedOut(reason);
      return;
    }
    if (code === CLOSE_BAD_HELLO) this.cursorValue = null; // start again from a snapshot
    this.setStatus("disconnected");
    if (code === CLOSE_TOO_SLOW) this.attempt = 0;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer !== null) return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private checkStale(): void {
    if (!this.running || this.socket === null) return;
    if (this.now() - this.lastFrameAt < 2 * this.heartbeatMs) return;
    // Silent for two heartbeats: show it, and try a fresh socket at once with the cursor.
    this.setStatus("stale");
    this.dropSocket(CLOSE_STALE, "stale");
    this.connect();
  }

  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    this.options.listener.status(status);
  }
}
