/**
 * The incidents tab: open incidents (new, in progress, on hold, resolved) by priority then newest first, filtered
 * by state, site and "mine", each row showing type, title, place, age, assignee and desk, and its alarm count.
 * Its owner fills it from the live stream's incidents (snapshot and changes: every open incident, no page); clicking
 * a row opens the incident. Stable selectors: `#incident-filter-state`, rows `[data-incident-id]` with `data-state` and
 * `data-priority`.
 */

import { filterIncidents, type IncidentFilter, OPEN_INCIDENT_STATES } from "../incidents";
import { formatAge, label, language, t } from "../i18n";
import type { Registry } from "../registry";
import type { IncidentOut, IncidentState } from "../types";
import { h, replaceChildren, text } from "./dom";

const AGE_TICK_MS = 5000;

export interface IncidentListOptions {
  registry: Registry;
  username: string;
  now: () => number;
  open: (incidentId: string) => void;
}

/** "Site · Zone" of an incident, from the registry's names (ids when unknown). */
export function incidentPlace(registry: Registry, incident: Pick<IncidentOut, "site_id" | "zone_id">): string {
  const site = incident.site_id === null ? "" : (registry.sites.get(incident.site_id)?.name ?? incident.site_id);
  const zone = incident.zone_id === null ? "" : (registry.zones.get(incident.zone_id)?.name ?? incident.zone_id);
  return [site, zone].filter((part) => part.length > 0).join(" · ");
}

/** "alice · desk paris", or "unassigned". */
export function incidentOwner(incident: Pick<IncidentOut, "assignee" | "desk">): string {
  const parts: string[] = [];
  if (incident.assignee !== null) parts.push(incident.assignee);
  if (incident.desk !== null) parts.push(t("incident.deskNamed", { desk: incident.desk }));
  return parts.length === 0 ? t("incident.unassigned") : parts.join(" · ");
}

/** True when two labels say the same (the default titles repeat the type). */
function sameText(a: string, b: string): boolean {
  return a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();
}

export class IncidentList {
  readonly element: HTMLElement;
  private readonly options: IncidentListOptions;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly stateFilter: HTMLSelectElement;
  private readonly siteFilter: HTMLSelectElement;
  private readonly mine: HTMLInputElement;
  private readonly rows = new Map<string, { element: HTMLElement; signature: string }>();
  private readonly ageTimer: ReturnType<typeof setInterval>;
  private incidents: IncidentOut[] = [];
  private loaded = false;
  private filter: IncidentFilter = { state: null, siteId: null, assignee: null };
  private selected: string | null = null;

  constructor(options: IncidentListOptions) {
    this.options = options;
    this.stateFilter = h("select", { id: "incident-filter-state", class: "filter" });
    this.siteFilter = h("select", { id: "incident-filter-site", class: "filter" });
    this.mine = h("input", { id: "incident-filter-mine", type: "checkbox" });
    this.stateFilter.addEventListener("change", () => {
      const value = this.stateFilter.value;
      this.filter = { ...this.filter, state: value === "" ? null : (value as IncidentState) };
      this.render();
    });
    this.siteFilter.addEventListener("change", () => {
      this.filter = { ...this.filter, siteId: this.siteFilter.value || null };
      this.render();
    });
    this.mine.addEventListener("change", () => {
      this.filter = { ...this.filter, assignee: this.mine.checked ? options.username : null };
      this.render();
    });
    this.fillFilters();
    this.list = h("ul", { class: "incident-list", "aria-live": "off" });
    this.list.addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>("[data-incident-id]");
      if (row !== null) options.open(row.dataset.incidentId!);
    });
    this.list.addEventListener("keydown", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>("[data-incident-id]");
      if (row !== null && event.target === row && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        options.open(row.dataset.incidentId!);
      }
    });
    this.empty = h("p", { class: "empty" }, t("app.loading"));
    this.element = h(
      "section",
      { class: "incident-panel" },
      h(
        "div",
        { class: "filters" },
        h("label", { class: "filter-field" }, text("span", "incidents.filterState"), this.stateFilter),
        h("label", { class: "filter-field" }, text("span", "alarms.filterSite"), this.siteFilter),
        h("label", { class: "filter-check" }, this.mine, text("span", "incidents.mine")),
      ),
      this.empty,
      this.list,
    );
    this.ageTimer = setInterval(() => this.tickAges(), AGE_TICK_MS);
  }

  /** The incidents shown (every open one, unfiltered). */
  get all(): readonly IncidentOut[] {
    return this.incidents;
  }

  /** Show these open incidents (in any order: the list sorts them) as the live stream has them now. */
  setIncidents(incidents: Iterable<IncidentOut>): void {
    this.incidents = [...incidents];
    this.loaded = true;
    this.render();
  }

  select(incidentId: string | null): void {
    if (this.selected !== null) this.rows.get(this.selected)?.element.classList.remove("selected");
    this.selected = incidentId;
    if (incidentId !== null) this.rows.get(incidentId)?.element.classList.add("selected");
  }

  applyLanguage(): void {
    this.fillFilters();
    for (const row of this.rows.values()) row.signature = "";
    this.render();
  }

  dispose(): void {
    clearInterval(this.ageTimer);
  }

  private fillFilters(): void {
    const state = this.stateFilter.value;
    replaceChildren(
      this.stateFilter,
      h("option", { value: "" }, t("incidents.allOpen")),
      ...OPEN_INCIDENT_STATES.map((value) => h("option", { value }, label("incidentState", value))),
    );
    this.stateFilter.value = state;
    const site = this.siteFilter.value;
    replaceChildren(
      this.siteFilter,
      h("option", { value: "" }, t("alarms.allSites")),
      ...this.options.registry.sortedSites().map((entry) => h("option", { value: entry.id }, entry.name)),
    );
    this.siteFilter.value = site;
  }

  private render(): void {
    const shown = filterIncidents(this.incidents, this.filter);
    const keep = new Set(shown.map((incident) => incident.id));
    for (const [id, row] of this.rows) {
      if (keep.has(id)) continue;
      row.element.remove();
      this.rows.delete(id);
    }
    let cursor = this.list.firstElementChild;
    for (const incident of shown) {
      const element = this.row(incident);
      if (element === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(element, cursor);
    }
    this.empty.hidden = shown.length > 0;
    this.empty.textContent = !this.loaded
      ? t("app.loading")
      : this.incidents.length === 0
        ? t("incidents.empty")
        : t("incidents.noMatch");
  }

  private row(incident: IncidentOut): HTMLElement {
    const signature = `${JSON.stringify(incident)}|${language()}`;
    const held = this.rows.get(incident.id);
    if (held !== undefined && held.signature === signature) return held.element;
    const element = held?.element ?? h("li", { class: "incident-row", tabindex: 0, "data-incident-id": incident.id });
    element.dataset.state = incident.state;
    element.dataset.priority = String(incident.priority);
    element.classList.toggle("selected", incident.id === this.selected);
    const place = incidentPlace(this.options.registry, incident);
    const type = label("incidentType", incident.type);
    const alarms = incident.alarm_ids.length;
    replaceChildren(
      element,
      h("span", { class: "prio", "data-priority": incident.priority, title: label("priority", incident.priority) }, `P${incident.priority}`),
      h(
        "div",
        { class: "incident-main" },
        h(
          "div",
          { class: "incident-line" },
          h("span", { class: "incident-title", title: incident.title }, incident.title),
          h("span", { class: "state-chip", "data-incident-state": incident.state }, label("incidentState", incident.state)),
          incident.escalation_level > 0
            ? h("span", { class: "escalated-chip" }, t("incident.escalatedLevel", { n: incident.escalation_level }))
            : null,
        ),
        h(
          "div",
          { class: "incident-place", title: place },
          [sameText(type, incident.title) ? "" : type, place || t("details.unknown")].filter((part) => part.length > 0).join(" · "),
        ),
      ),
      h("span", { class: "incident-age", "data-opened": incident.opened_at }, formatAge(incident.opened_at, this.options.now())),
      h(
        "div",
        { class: "incident-meta" },
        h("span", { class: "incident-owner" }, incidentOwner(incident)),
        h("span", { class: "alarm-count-chip", title: t("incidents.alarmCount", { n: alarms }) }, t("incidents.alarmCount", { n: alarms })),
      ),
    );
    this.rows.set(incident.id, { element, signature });
    return element;
  }

  private tickAges(): void {
    const now = this.options.now();
    for (const age of this.list.querySelectorAll<HTMLElement>(".incident-age")) {
      const value = formatAge(Number(age.dataset.opened), now);
      if (age.textContent !== value) age.textContent = value;
    }
  }
}
