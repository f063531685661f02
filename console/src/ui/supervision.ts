/**
 * The supervision tab (supervisors and administrators): alarm rates per operator desk and per site in the sliding
 * window with the floods (GET /api/supervision/alarm-rates; "not available" where the server has no such route),
 * false-alarm rates per alarm type, source, rule or incident type (`#false-alarm-by`, GET
 * /api/supervision/false-alarm-rates), and the supervisors' notifications of skipped procedure steps (GET
 * /api/supervision/notifications), each opening its incident. Loaded when the tab opens, every 15 s while it is
 * open, and on `#supervision-refresh`. Rows: `[data-desk]` with `data-level` and `data-flooding`, `[data-rate-site]`,
 * `[data-rate-key]`, `[data-notification-id]`.
 */

import { ApiError, type ApiClient, describeFailure } from "../api";
import { formatNumber, formatTime, label, type MessageKey, t } from "../i18n";
import type { Registry } from "../registry";
import {
  per10Minutes,
  RATE_GROUPINGS,
  REFERENCE_WINDOW_S,
  ratePercent,
  rateLevel,
  skipNotice,
  sortDeskRates,
  sortSiteRates,
} from "../supervision";
import type { AlarmRatesOut, FalseAlarmRatesOut, RateGrouping, TimelineEntryOut } from "../types";
import { type Child, h, replaceChildren, text } from "./dom";

export const SUPERVISION_POLL_MS = 15_000;
const MAX_SITES = 15;
const NOTIFICATION_LIMIT = 50;

/** One section's data: loaded, not offered by this server, or failed. */
type Loaded<T> = { kind: "ok"; value: T } | { kind: "unavailable" } | { kind: "failed"; detail: string } | { kind: "loading" };

export interface SupervisionOptions {
  api: ApiClient;
  registry: Registry;
  openIncident: (incidentId: string) => void;
}

export class SupervisionPanel {
  readonly element: HTMLElement;
  private readonly options: SupervisionOptions;
  private readonly by: HTMLSelectElement;
  private readonly ratesSlot: HTMLElement;
  private readonly sitesSlot: HTMLElement;
  private readonly falseSlot: HTMLElement;
  private readonly noticesSlot: HTMLElement;
  private readonly updated: HTMLElement;
  private rates: Loaded<AlarmRatesOut> = { kind: "loading" };
  private falseAlarms: Loaded<FalseAlarmRatesOut> = { kind: "loading" };
  private notices: Loaded<TimelineEntryOut[]> = { kind: "loading" };
  private loadedAt: number | null = null;
  /** Numbers the false-alarm requests: only the answer to the latest one (the grouping now chosen) is shown. */
  private falseRequest = 0;

  constructor(options: SupervisionOptions) {
    this.options = options;
    this.by = h("select", { id: "false-alarm-by", class: "filter" });
    this.fillBy();
    this.by.addEventListener("change", () => void this.loadFalseAlarms());
    const refresh = text("button", "audit.refresh", { type: "button", class: "ghost", id: "supervision-refresh" });
    refresh.addEventListener("click", () => void this.load());
    this.updated = h("p", { class: "audit-status", role: "status" });
    this.ratesSlot = h("div", { class: "supervision-block" });
    this.sitesSlot = h("div", { class: "supervision-block" });
    this.falseSlot = h("div", { class: "supervision-block" });
    this.noticesSlot = h("div", { class: "supervision-block" });
    this.element = h(
      "section",
      { class: "supervision-panel" },
      h("div", { class: "audit-toolbar" }, refresh, this.updated),
      h(
        "div",
        { class: "supervision-scroll" },
        h("section", { class: "supervision-section", "data-section": "alarm-rates" }, text("h3", "supervision.alarmRates"), this.ratesSlot),
        h(
          "section",
          { class: "supervision-section", "data-section": "false-alarm-rates" },
          h(
            "div",
            { class: "section-head" },
            text("h3", "supervision.falseAlarmRates"),
            h("label", { class: "inline-field" }, text("span", "supervision.by"), this.by),
          ),
          this.falseSlot,
        ),
        h("section", { class: "supervision-section", "data-section": "notifications" }, text("h3", "supervision.notifications"), this.noticesSlot),
        h("section", { class: "supervision-section", "data-section": "site-rates" }, text("h3", "supervision.siteRates"), this.sitesSlot),
      ),
    );
    this.draw();
  }

  /** The operator desks the last alarm-rate figures name. */
  get desks(): string[] {
    return this.rates.kind === "ok" ? this.rates.value.desks.map((desk) => desk.desk) : [];
  }

  /** Fetch the three sections (each failing on its own) and redraw. */
  async load(): Promise<void> {
    const { api } = this.options;
    const settle = async <T>(promise: Promise<T | null>): Promise<Loaded<T>> => {
      try {
        const value = await promise;
        return value === null ? { kind: "unavailable" } : { kind: "ok", value };
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return { kind: "unavailable" };
        return { kind: "failed", detail: describeFailure(error) };
      }
    };
    const request = ++this.falseRequest;
    const [rates, falseAlarms, notices] = await Promise.all([
      settle(api.alarmRates()),
      settle(api.falseAlarmRates(this.grouping())),
      settle(api.notifications(NOTIFICATION_LIMIT)),
    ]);
    this.rates = rates;
    if (request === this.falseRequest) this.falseAlarms = falseAlarms;
    this.notices = notices;
    this.loadedAt = Date.now() / 1000;
    this.draw();
  }

  applyLanguage(): void {
    this.fillBy();
    this.draw();
  }

  private grouping(): RateGrouping {
    return (this.by.value || RATE_GROUPINGS[0]) as RateGrouping;
  }

  private async loadFalseAlarms(): Promise<void> {
    const request = ++this.falseRequest;
    this.falseAlarms = { kind: "loading" };
    this.drawFalseAlarms();
    let loaded: Loaded<FalseAlarmRatesOut>;
    try {
      loaded = { kind: "ok", value: await this.options.api.falseAlarmRates(this.grouping()) };
    } catch (error) {
      loaded = { kind: "failed", detail: describeFailure(error) };
    }
    if (request !== this.falseRequest) return; // a newer request (another grouping) answers instead
    this.falseAlarms = loaded;
    this.drawFalseAlarms();
  }

  private fillBy(): void {
    const value = this.by.value || RATE_GROUPINGS[0]!;
    replaceChildren(this.by, ...RATE_GROUPINGS.map((grouping) => h("option", { value: grouping }, label("rateGrouping", grouping))));
    this.by.value = value;
  }

  private draw(): void {
    this.updated.textContent = this.loadedAt === null ? t("app.loading") : t("supervision.updated", { time: formatTime(this.loadedAt) });
    this.drawRates();
    this.drawFalseAlarms();
    this.drawNotices();
  }

  /** The message of a section not loaded, or null when it is. */
  private notLoadedMessage(loaded: Loaded<unknown>, failed: MessageKey): HTMLElement | null {
    switch (loaded.kind) {
      case "loading":
        return h("p", { class: "muted" }, t("app.loading"));
      case "unavailable":
        return h("p", { class: "muted", "data-unavailable": "true" }, t("supervision.notAvailable"));
      case "failed":
        return h("p", { class: "error" }, t(failed, { detail: loaded.detail }));
      case "ok":
        return null;
    }
  }

  private drawRates(): void {
    const waiting = this.notLoadedMessage(this.rates, "supervision.failed");
    if (waiting !== null || this.rates.kind !== "ok") {
      replaceChildren(this.ratesSlot, waiting);
      replaceChildren(this.sitesSlot, waiting?.cloneNode(true));
      return;
    }
    const rates = this.rates.value;
    const minutes = formatNumber(rates.window_s / 60);
    const desks = sortDeskRates(rates.desks);
    const sites = sortSiteRates(rates.sites);
    const { registry } = this.options;
    // The rate per 10 minutes is the count itself when the window is 10 minutes.
    const showPer10 = rates.window_s !== REFERENCE_WINDOW_S;
    const deskHead: MessageKey[] = ["supervision.desk", "supervision.inWindow"];
    if (showPer10) deskHead.push("supervision.per10");
    deskHead.push("supervision.peak", "supervision.floods", "supervision.level");
    replaceChildren(
      this.ratesSlot,
      h("p", { class: "muted small-print" }, t("supervision.window", { minutes })),
      table(
        deskHead,
        desks.map((desk) => {
          const level = rateLevel(desk.alarms_in_window, rates.window_s, desk.flooding);
          return h(
            "tr",
            { "data-desk": desk.desk, "data-level": level, "data-flooding": String(desk.flooding) },
            h("td", {}, desk.desk),
            numberCell(desk.alarms_in_window),
            showPer10 ? numberCell(per10Minutes(desk.alarms_in_window, rates.window_s), 1) : null,
            numberCell(desk.peak),
            numberCell(desk.floods),
            h("td", {}, h("span", { class: "rate-level", "data-level": level }, desk.flooding ? t("supervision.flooding") : label("rateLevel", level))),
          );
        }),
        "supervision.noDesk",
      ),
    );
    replaceChildren(
      this.sitesSlot,
      table(
        ["details.site", "supervision.inWindow", "supervision.peak"],
        sites.slice(0, MAX_SITES).map((site) =>
          h(
            "tr",
            { "data-rate-site": site.site_id },
            h("td", {}, registry.sites.get(site.site_id)?.name ?? site.site_id),
            numberCell(site.alarms_in_window),
            numberCell(site.peak),
          ),
        ),
        "supervision.noSite",
      ),
      sites.length > MAX_SITES ? h("p", { class: "muted small-print" }, t("supervision.moreSites", { n: sites.length - MAX_SITES })) : null,
    );
  }

  private drawFalseAlarms(): void {
    const waiting = this.notLoadedMessage(this.falseAlarms, "supervision.failed");
    if (waiting !== null || this.falseAlarms.kind !== "ok") {
      replaceChildren(this.falseSlot, waiting);
      return;
    }
    const { by, rows } = this.falseAlarms.value;
    replaceChildren(
      this.falseSlot,
      table(
        ["supervision.key", "supervision.colTrue", "supervision.colFalse", "supervision.colDuplicate", "supervision.undisposed", "supervision.rate"],
        rows.map((row) => {
          const percent = ratePercent(row.false_alarm_rate);
          return h(
            "tr",
            { "data-rate-key": row.key },
            h("td", { title: row.key }, keyLabel(by, row.key)),
            numberCell(row.true),
            numberCell(row.false),
            numberCell(row.duplicate),
            numberCell(row.undisposed),
            h(
              "td",
              { class: "rate-cell" },
              percent === null
                ? t("details.unknown")
                : rateBar(percent),
            ),
          );
        }),
        "supervision.noDisposition",
      ),
    );
  }

  private drawNotices(): void {
    const waiting = this.notLoadedMessage(this.notices, "supervision.failed");
    if (waiting !== null || this.notices.kind !== "ok") {
      replaceChildren(this.noticesSlot, waiting);
      return;
    }
    const notices = this.notices.value;
    if (notices.length === 0) {
      replaceChildren(this.noticesSlot, h("p", { class: "muted" }, t("supervision.noNotification")));
      return;
    }
    replaceChildren(
      this.noticesSlot,
      h(
        "ul",
        { class: "notification-list" },
        ...notices.map((entry) => {
          const notice = skipNotice(entry);
          const open = h("button", { type: "button", class: "link", "data-open-incident": entry.incident_id }, entry.incident_id);
          open.addEventListener("click", () => this.options.openIncident(entry.incident_id));
          return h(
            "li",
            { "data-notification-id": entry.id },
            h(
              "div",
              { class: "notification-head" },
              h("span", { class: "nowrap muted" }, formatTime(entry.ts)),
              h("strong", {}, entry.actor),
              h("span", {}, t("supervision.skipped", { step: notice.stepId ?? "?" })),
              notice.required === true ? text("span", "supervision.requiredStep", { class: "tag warn" }) : null,
              open,
            ),
            h("p", { class: "notification-text" }, notice.justification),
          );
        }),
      ),
    );
  }
}

/** The percentage with a bar behind it as wide as the rate. */
function rateBar(percent: number): HTMLElement {
  const bar = h("span", { class: "rate-bar", "data-high": String(percent >= 50) }, t("unit.percent", { n: percent }));
  bar.style.setProperty("--rate", `${Math.min(100, Math.max(0, percent))}%`);
  return bar;
}

function numberCell(value: number, digits = 0): HTMLElement {
  return h("td", { class: "num" }, formatNumber(value, digits));
}

/** A table with its head, or the empty message when there is no row. */
function table(head: MessageKey[], rows: HTMLElement[], empty: MessageKey): Child {
  if (rows.length === 0) return h("p", { class: "muted" }, t(empty));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "audit-table rate-table" },
      h("thead", {}, h("tr", {}, ...head.map((key) => h("th", {}, t(key))))),
      h("tbody", {}, ...rows),
    ),
  );
}

/** A false-alarm key made readable: alarm and incident types are translated, sources and rules shown as they are. */
function keyLabel(by: RateGrouping, key: string): string {
  if (by === "alarm_type") return label("alarmType", key);
  if (by === "incident_type") return label("incidentType", key);
  return key;
}
