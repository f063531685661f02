/**
 * The REST client: JSON over fetch with the bearer token, errors turned into `ApiError` (the server's
 * `{"reason", "detail"}` body), and a 401 on any authenticated call reported once to the application.
 */

import type {
  AlarmChangeOut,
  AlarmRatesOut,
  AuditEntryOut,
  CameraOut,
  ConsoleConfig,
  DeviceOut,
  Disposition,
  EventOut,
  FalseAlarmRatesOut,
  IncidentChangeOut,
  IncidentDetailOut,
  IncidentOut,
  IncidentState,
  Page,
  RateGrouping,
  ReadingOut,
  SiteOut,
  TimelineEntryOut,
  TokenOut,
  ZoneOut,
} from "./types";
import type { ZoneCrowdOut, ZoneMobileOut } from "./crowd-types";

/** A refused or failed request: the HTTP status (0: no answer) and the server's reason and detail. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly detail: string;

  constructor(status: number, reason: string, detail: string) {
    super(detail || reason || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.reason = reason;
    this.detail = detail;
  }
}

/** The reason and detail of an error body: `{"reason","detail"}`, or `{"error":{"code","message"}}`. */
export function describeErrorBody(status: number, body: unknown): { reason: string; detail: string } {
  const fallback = { reason: `http_${status}`, detail: `HTTP ${status}` };
  if (typeof body !== "object" || body === null) return fallback;
  const record = body as Record<string, unknown>;
  if (typeof record.reason === "string" || typeof record.detail === "string") {
    return {
      reason: typeof record.reason === "string" ? record.reason : fallback.reason,
      detail: typeof record.detail === "string" ? record.detail : JSON.stringify(record.detail ?? fallback.detail),
    };
  }
  const nested = record.error;
  if (typeof nested === "object" && nested !== null) {
    const error = nested as Record<string, unknown>;
    return {
      reason: typeof error.code === "string" ? error.code : fallback.reason,
      detail: typeof error.message === "string" ? error.message : fallback.detail,
    };
  }
  return fallback;
}

/** The text of a refused or failed action: the server's detail and its machine-readable reason. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.detail.length > 0 && error.reason.length > 0 && !error.detail.includes(error.reason)) {
      return `${error.detail} (${error.reason})`;
    }
    return error.detail || error.reason || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export const DEFAULT_CONFIG: ConsoleConfig = {
  basemap_style_url: null,
  default_language: "fr",
  default_tenant: null,
  heartbeat_s: 5,
};

export const DEVICE_PAGE = 10_000;

/** The most incidents the console asks for at once. */
export const INCIDENT_PAGE = 500;

type Query = Record<string, string | number | readonly string[] | undefined>;

/** One annotated frame of a camera's live view: the JPEG, its number (for `after`) and its time (epoch seconds). */
export interface LiveFrame {
  blob: Blob;
  number: number;
  /** When the frame was analysed (server clock, epoch s). */
  time: number;
  /** The server's clock when it answered (epoch s; NaN from an older server). */
  serverTime: number;
}

/** The filters of GET /api/events. */
export interface EventQuery {
  type?: string;
  site_id?: string;
  source?: string;
  since?: number;
  until?: number;
  limit?: number;
}

/** What an operator asks to complete a procedure step with. */
export interface CompleteStepRequest {
  choice: string | null;
  checked: number[];
  note: string;
}

export class ApiClient {
  private token: string | null = null;
  private readonly unauthorised: () => void;
  private readonly fetcher: typeof fetch;

  /** `unauthorised` runs when an authenticated call answers 401 (the token is no longer good). */
  constructor(unauthorised: () => void, fetcher: typeof fetch = (input, init) => fetch(input, init)) {
    this.unauthorised = unauthorised;
    this.fetcher = fetcher;
  }

  setToken(token: string | null): void {
    this.token = token;
  }

  /** The console's settings; the defaults (offline basemap, French) when the server has none. */
  async config(): Promise<ConsoleConfig> {
    try {
      const config = await this.request<Partial<ConsoleConfig>>("GET", "/api/console/config", { auth: false });
      return { ...DEFAULT_CONFIG, ...config };
    } catch {
      return DEFAULT_CONFIG;
    }
  }

  login(tenant: string, username: string, password: string): Promise<TokenOut> {
    return this.request<TokenOut>("POST", "/api/auth/login", { body: { tenant, username, password }, auth: false });
  }

  sites(): Promise<SiteOut[]> {
    return this.request<SiteOut[]>("GET", "/api/sites");
  }

  zones(): Promise<ZoneOut[]> {
    return this.request<ZoneOut[]>("GET", "/api/zones");
  }

  /** Every device, page after page. */
  async devices(): Promise<DeviceOut[]> {
    const devices: DeviceOut[] = [];
    for (;;) {
      const page = await this.request<Page<DeviceOut>>("GET", "/api/devices", {
        query: { limit: DEVICE_PAGE, offset: devices.length },
      });
      devices.push(...page.items);
      if (page.items.length === 0 || devices.length >= page.total) return devices;
    }
  }

  /** The device's newest readings of one metric, newest first. */
  readings(deviceId: string, metric: string, limit = 120): Promise<ReadingOut[]> {
    return this.request<ReadingOut[]>("GET", "/api/readings", { query: { device_id: deviceId, metric, limit } });
  }

  /** A zone's crowd picture over the last `hours`: fused people, forecasts, each kind of source (crowd card). */
  zoneCrowd(zoneId: string, hours: number): Promise<ZoneCrowdOut> {
    return this.request<ZoneCrowdOut>("GET", `/api/zones/${encodeURIComponent(zoneId)}/crowd`, { query: { hours } });
  }

  /** A zone's mobile-network slots over the last `hours` (404 where the zone has no mobile data). */
  zoneMobile(zoneId: string, hours: number): Promise<ZoneMobileOut> {
    return this.request<ZoneMobileOut>("GET", `/api/zones/${encodeURIComponent(zoneId)}/mobile`, { query: { hours } });
  }

  acknowledge(alarmId: string): Promise<AlarmChangeOut> {
    return this.request<AlarmChangeOut>("POST", `/api/alarms/${encodeURIComponent(alarmId)}/acknowledge`);
  }

  shelve(alarmId: string, reason: string, durationS: number): Promise<AlarmChangeOut> {
    return this.request<AlarmChangeOut>("POST", `/api/alarms/${encodeURIComponent(alarmId)}/shelve`, {
      body: { reason, duration_s: durationS },
    });
  }

  clear(alarmId: string): Promise<AlarmChangeOut> {
    return this.request<AlarmChangeOut>("POST", `/api/alarms/${encodeURIComponent(alarmId)}/clear`);
  }

  /** The newest audit entries first. */
  audit(limit = 200): Promise<AuditEntryOut[]> {
    return this.request<AuditEntryOut[]>("GET", "/api/audit", { query: { limit } });
  }

  /** Incidents in these states (none given: every state but closed), most urgent then newest opened first. */
  incidents(states: readonly IncidentState[] = [], limit = INCIDENT_PAGE): Promise<Page<IncidentOut>> {
    return this.request<Page<IncidentOut>>("GET", "/api/incidents", { query: { state: states, limit } });
  }

  /** One incident with its alarms, timeline (oldest first), evidence and procedure. */
  incident(incidentId: string): Promise<IncidentDetailOut> {
    return this.request<IncidentDetailOut>("GET", incidentPath(incidentId));
  }

  transitionIncident(incidentId: string, to: IncidentState, reason = ""): Promise<IncidentChangeOut> {
    return this.request<IncidentChangeOut>("POST", `${incidentPath(incidentId)}/transition`, { body: { to, reason } });
  }

  /** Give the incident to an operator and/or a desk (null: unchanged). */
  assignIncident(incidentId: string, assignee: string | null, desk: string | null): Promise<IncidentChangeOut> {
    const body: Record<string, string> = {};
    if (assignee !== null) body.assignee = assignee;
    if (desk !== null) body.desk = desk;
    return this.request<IncidentChangeOut>("POST", `${incidentPath(incidentId)}/assign`, { body });
  }

  setDisposition(incidentId: string, disposition: Disposition, duplicateOf: string | null = null): Promise<IncidentChangeOut> {
    return this.request<IncidentChangeOut>("POST", `${incidentPath(incidentId)}/disposition`, {
      body: duplicateOf === null ? { disposition } : { disposition, duplicate_of: duplicateOf },
    });
  }

  addIncidentNote(incidentId: string, text: string): Promise<IncidentChangeOut> {
    return this.request<IncidentChangeOut>("POST", `${incidentPath(incidentId)}/notes`, { body: { text } });
  }

  completeStep(incidentId: string, stepId: string, request: CompleteStepRequest): Promise<IncidentChangeOut> {
    const body: Record<string, unknown> = { checked: request.checked, note: request.note };
    if (request.choice !== null) body.choice = request.choice;
    return this.request<IncidentChangeOut>("POST", `${stepPath(incidentId, stepId)}/complete`, { body });
  }

  skipStep(incidentId: string, stepId: string, justification: string): Promise<IncidentChangeOut> {
    return this.request<IncidentChangeOut>("POST", `${stepPath(incidentId, stepId)}/skip`, { body: { justification } });
  }

  /** False-alarm rates per key of `by`, the highest first (supervisors). */
  falseAlarmRates(by: RateGrouping): Promise<FalseAlarmRatesOut> {
    return this.request<FalseAlarmRatesOut>("GET", "/api/supervision/false-alarm-rates", { query: { by } });
  }

  /** The supervisors' notifications (procedure steps skipped), newest first. */
  notifications(limit = 100): Promise<TimelineEntryOut[]> {
    return this.request<TimelineEntryOut[]>("GET", "/api/supervision/notifications", { query: { limit } });
  }

  /** Alarm rates per desk and per site, or null when this server has no such route (404). */
  async alarmRates(): Promise<AlarmRatesOut | null> {
    try {
      const rates = await this.request<AlarmRatesOut | null>("GET", "/api/supervision/alarm-rates");
      return rates !== null && Array.isArray(rates.desks) && Array.isArray(rates.sites) ? rates : null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** The cameras: those this server analyses (state, analytics, field of view), then the registry's others. */
  cameras(): Promise<CameraOut[]> {
    return this.request<CameraOut[]>("GET", "/api/cameras");
  }

  /** Stored events, newest first. */
  events(query: EventQuery): Promise<EventOut[]> {
    return this.request<EventOut[]>("GET", "/api/events", { query: { ...query } });
  }

  /**
   * The camera's newest annotated frame, or the first newer than number `after`, waiting up to `waitS` seconds
   * (null: none came). `signal` cancels the wait; the promise then rejects with the fetch's AbortError.
   */
  async frame(cameraId: string, after: number, waitS: number, signal?: AbortSignal): Promise<LiveFrame | null> {
    const response = await this.send("GET", `${cameraPath(cameraId)}/frame`, {
      query: { after, wait_s: waitS },
      accept: "image/jpeg",
      signal,
    });
    if (response.status === 204) return null;
    const blob = await response.blob();
    return {
      blob,
      number: Number(response.headers.get("X-Frame-Number") ?? 0),
      time: Number(response.headers.get("X-Frame-Time") ?? Number.NaN),
      serverTime: Number(response.headers.get("X-Server-Time") ?? Number.NaN),
    };
  }

  /** The picture kept with one of a camera's events (JPEG). */
  async snapshot(cameraId: string, eventId: string, signal?: AbortSignal): Promise<Blob> {
    const path = `${cameraPath(cameraId)}/snapshots/${encodeURIComponent(eventId)}`;
    const response = await this.send("GET", path, { accept: "image/jpeg", signal });
    return response.blob();
  }

  private async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; auth?: boolean } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return body as T;
  }

  /** The answer when it is a success; otherwise an ApiError (a 401 on an authenticated call reported first). */
  private async send(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; auth?: boolean; accept?: string; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const auth = options.auth ?? true;
    const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.token !== null) headers.Authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetcher(withQuery(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? null : JSON.stringify(options.body),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, "network", error instanceof Error ? error.message : String(error));
    }
    if (response.ok) return response;
    const text = await response.text();
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (response.status === 401 && auth) this.unauthorised();
    const { reason, detail } = describeErrorBody(response.status, body);
    throw new ApiError(response.status, reason, detail);
  }
}

function cameraPath(cameraId: string): string {
  return `/api/cameras/${encodeURIComponent(cameraId)}`;
}

function incidentPath(incidentId: string): string {
  return `/api/incidents/${encodeURIComponent(incidentId)}`;
}

function stepPath(incidentId: string, stepId: string): string {
  return `${incidentPath(incidentId)}/procedure/steps/${encodeURIComponent(stepId)}`;
}

/** The path with its query; a list value repeats its parameter (`state=new&state=on_hold`). */
function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === "object") for (const item of value) params.append(name, item);
    else params.set(name, String(value));
  }
  const text = params.toString();
  return text.length === 0 ? path : `${path}?${text}`;
}
