/**
 * The live alarm list: open alarms by priority then newest first, filtered by site and state. Rows are kept by alarm
 * id and only redrawn when their alarm changed; the list re-renders at most every 250 ms whatever the stream's rate,
 * and ages tick every few seconds without touching anything else. Stable selectors: rows `[data-alarm-id]` with
 * `data-state` and `data-priority`, buttons `button[data-action=acknowledge|shelve|clear]`.
 */

import { type AlarmAction, type AlarmFilter, allowedActions, filterAlarms, isHidden } from "../alarms";
import { formatAge, label, language, type MessageKey, t } from "../i18n";
import type { Registry } from "../registry";
import type { LiveStore } from "../store";
import type { AlarmOut, AlarmState } from "../types";
import { h, replaceChildren, text } from "./dom";

const RENDER_MS = 250;
const AGE_TICK_MS = 5000;
const FLASH_MS = 5000;
export const MAX_ROWS = 300;

const ACTION_KEYS: Record<AlarmAction, MessageKey> = {
  acknowledge: "action.acknowledge",
  shelve: "action.shelve",
  clear: "action.clear",
};

const STATE_FILTERS: (AlarmState | "active")[] = [
  "active",
  "unacknowledged",
  "rtn_unacknowledged",
  "acknowledged",
  "shelved",
  "suppressed",
  "out_of_service",
];

export interface AlarmListOptions {
  registry: Registry;
  store: LiveStore;
  canAct: boolean;
  select: (alarmId: string) => void;
  act: (alarm: AlarmOut, action: AlarmAction) => void;
  now: () => number;
}

export class AlarmList {
  readonly element: HTMLElement;
  private readonly options: AlarmListOptions;
  private readonly list: HTMLUListElement;
  private readonly footer: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly siteFilter: HTMLSelectElement;
  private readonly stateFilter: HTMLSelectElement;
  private readonly rows = new Map<string, { element: HTMLElement; signature: string }>();
  private readonly flashing = new Map<string, number>();
  private filter: AlarmFilter = { siteId: null, state: null };
  private selected: string | null = null;
  private renderTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly ageTimer: ReturnType<typeof setInterval>;

  constructor(options: AlarmListOptions) {
    this.options = options;
    this.siteFilter = h("select", { id: "alarm-filter-site", class: "filter" });
    this.stateFilter = h("select", { id: "alarm-filter-state", class: "filter" });
    this.siteFilter.addEventListener("change", () => {
      this.filter = { ...this.filter, siteId: this.siteFilter.value || null };
      this.render();
    });
    this.stateFilter.addEventListener("change", () => {
      const value = this.stateFilter.value;
      this.filter = { ...this.filter, state: value === "" ? null : (value as AlarmState | "active") };
      this.render();
    });
    this.fillFilters();
    this.list = h("ul", { class: "alarm-list", "aria-live": "off" });
    this.list.addEventListener("click", (event) => this.onClick(event));
    this.list.addEventListener("keydown", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>("[data-alarm-id]");
      if (row !== null && event.target === row && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        this.options.select(row.dataset.alarmId!);
      }
    });
    this.empty = h("p", { class: "empty" });
    this.footer = h("p", { class: "list-footer" });
    this.element = h(
      "section",
      { class: "alarm-panel" },
      h(
        "div",
        { class: "filters" },
        h("label", { class: "filter-field" }, text("span", "alarms.filterSite"), this.siteFilter),
        h("label", { class: "filter-field" }, text("span", "alarms.filterState"), this.stateFilter),
      ),
      this.empty,
      this.list,
      this.footer,
    );
    this.ageTimer = setInterval(() => this.tickAges(), AGE_TICK_MS);
    this.render();
  }

  /** Re-render soon (at most every 250 ms). */
  scheduleRender(): void {
    if (this.renderTimer !== null) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      this.render();
    }, RENDER_MS);
  }

  /** Make these alarms' rows flash (new alarms). */
  flash(alarms: AlarmOut[]): void {
    const until = Date.now() + FLASH_MS;
    for (const alarm of alarms) this.flashing.set(alarm.id, until);
    this.scheduleRender();
    setTimeout(() => this.scheduleRender(), FLASH_MS + 50);
  }

  select(alarmId: string | null): void {
    if (this.selected !== null) this.rows.get(this.selected)?.element.classList.remove("selected");
    this.selected = alarmId;
    if (alarmId !== null) {
      const row = this.rows.get(alarmId)?.element;
      row?.classList.add("selected");
      row?.scrollIntoView({ block: "nearest" });
    }
  }

  /** Redraw every text in the current language. */
  applyLanguage(): void {
    this.fillFilters();
    for (const row of this.rows.values()) row.signature = "";
    this.render();
  }

  dispose(): void {
    clearInterval(this.ageTimer);
    if (this.renderTimer !== null) clearTimeout(this.renderTimer);
  }

  private fillFilters(): void {
    const site = this.siteFilter.value;
    replaceChildren(
      this.siteFilter,
      h("option", { value: "" }, t("alarms.allSites")),
      ...this.options.registry.sortedSites().map((entry) => h("option", { value: entry.id }, entry.name)),
    );
    this.siteFilter.value = site;
    const state = this.stateFilter.value;
    replaceChildren(
      this.stateFilter,
      h("option", { value: "" }, t("alarms.allStates")),
      ...STATE_FILTERS.map((value) =>
        h("option", { value }, value === "active" ? t("alarms.annunciated") : label("alarmState", value)),
      ),
    );
    this.stateFilter.value = state;
  }

  private render(): void {
    if (this.renderTimer !== null) {
      clearTimeout(this.renderTimer);
      this.renderTimer = null;
    }
    const { registry, store } = this.options;
    const all = filterAlarms(store.alarms.values(), this.filter, registry.siteOfAlarm);
    const shown = all.slice(0, MAX_ROWS);
    const keep = new Set(shown.map((alarm) => alarm.id));
    for (const [id, row] of this.rows) {
      if (keep.has(id)) continue;
      row.element.remove();
      this.rows.delete(id);
    }
    const now = Date.now();
    for (const [id, until] of this.flashing) if (until <= now) this.flashing.delete(id);
    let cursor = this.list.firstElementChild;
    for (const alarm of shown) {
      const element = this.row(alarm);
      element.classList.toggle("flash", this.flashing.has(alarm.id));
      if (element === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(element, cursor);
    }
    this.empty.hidden = all.length > 0;
    this.empty.textContent = store.alarms.size === 0 ? t("alarms.empty") : t("alarms.noMatch");
    this.footer.textContent = all.length > MAX_ROWS ? t("alarms.more", { n: all.length - MAX_ROWS }) : "";
    this.footer.hidden = all.length <= MAX_ROWS;
  }

  /** The alarm's row, redrawn only when the alarm (or the language) changed since it was drawn. */
  private row(alarm: AlarmOut): HTMLElement {
    const signature = `${alarm.updated_at}|${alarm.state}|${alarm.priority}|${language()}`;
    const held = this.rows.get(alarm.id);
    if (held !== undefined && held.signature === signature) return held.element;
    const element = held?.element ?? h("li", { class: "alarm-row", tabindex: 0, "data-alarm-id": alarm.id });
    element.dataset.state = alarm.state;
    element.dataset.priority = String(alarm.priority);
    element.classList.toggle("hidden-state", isHidden(alarm));
    element.classList.toggle("selected", alarm.id === this.selected);
    replaceChildren(element, ...this.rowContent(alarm));
    this.rows.set(alarm.id, { element, signature });
    return element;
  }

  private rowContent(alarm: AlarmOut): HTMLElement[] {
    const { registry } = this.options;
    const siteId = registry.siteOfAlarm(alarm);
    const siteName = siteId === null ? "" : (registry.sites.get(siteId)?.name ?? siteId);
    const zoneName = alarm.key.zone_id === null ? "" : (registry.zones.get(alarm.key.zone_id)?.name ?? alarm.key.zone_id);
    const place = [siteName, zoneName].filter((part) => part.length > 0).join(" · ");
    const actions = this.options.canAct
      ? allowedActions(alarm).map((action) =>
          h(
            "button",
            { type: "button", class: `act act-${action}`, "data-action": action },
            t(ACTION_KEYS[action]),
          ),
        )
      : [];
    return [
      h("span", { class: "prio", "data-priority": alarm.priority, title: label("priority", alarm.priority) }, `P${alarm.priority}`),
      h(
        "div",
        { class: "alarm-main" },
        h(
          "div",
          { class: "alarm-title" },
          h("span", { class: "alarm-type" }, label("alarmType", alarm.key.type)),
          h("span", { class: "alarm-state", "data-state": alarm.state }, label("alarmState", alarm.state)),
        ),
        h("div", { class: "alarm-place", title: alarm.message }, place || alarm.message),
      ),
      h(
        "span",
        { class: "alarm-age", "data-raised": alarm.raised_at },
        formatAge(alarm.raised_at, this.options.now()),
      ),
      h("div", { class: "alarm-actions" }, ...actions),
    ];
  }

  private tickAges(): void {
    const now = this.options.now();
    for (const age of this.list.querySelectorAll<HTMLElement>(".alarm-age")) {
      const text = formatAge(Number(age.dataset.raised), now);
      if (age.textContent !== text) age.textContent = text;
    }
  }

  private onClick(event: Event): void {
    const target = event.target as HTMLElement;
    const row = target.closest<HTMLElement>("[data-alarm-id]");
    if (row === null) return;
    const alarmId = row.dataset.alarmId!;
    const button = target.closest<HTMLButtonElement>("button[data-action]");
    if (button !== null) {
      event.stopPropagation();
      const alarm = this.options.store.alarms.get(alarmId);
      if (alarm !== undefined) this.options.act(alarm, button.dataset.action as AlarmAction);
      return;
    }
    this.options.select(alarmId);
  }
}
