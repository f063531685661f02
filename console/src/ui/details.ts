/**
 * The details card of what the operator clicked: a site (its zones, devices and open alarms), a zone (count, density,
 * capacity, level), a device (health, last seen, battery, and a chart of its latest readings of one metric) or an
 * alarm (its lifecycle fields and the actions the role and state allow; for an alarm from a camera, the picture of
 * its event), or a camera (its live view, state, detector and analytics with their legal basis). Facts refresh with
 * the live state at most once a second; the chart reloads on open, on metric change and every 15 s.
 */

import { type AlarmAction, allowedActions, compareAlarms } from "../alarms";
import type { ApiClient } from "../api";
import type { CameraDirectory } from "../cameras";
import { formatAge, formatNumber, formatTime, label, type MessageKey, t } from "../i18n";
import type { Selection } from "../map/view";
import type { Registry } from "../registry";
import type { LiveStore } from "../store";
import type { AlarmOut, DeviceOut } from "../types";
import { AlarmSnapshot } from "./alarm-snapshot";
import { analyticsList, cameraFacts, cameraLinks, liveButton } from "./camera-details";
import { CameraLiveView } from "./camera-live";
import { renderChart } from "./chart";
import { type Child, h, replaceChildren, text } from "./dom";

const REFRESH_MS = 1000;
const CHART_REFRESH_MS = 15_000;
const MAX_LISTED_ALARMS = 8;

export interface DetailsOptions {
  api: ApiClient;
  registry: Registry;
  store: LiveStore;
  cameras: CameraDirectory;
  canAct: boolean;
  now: () => number;
  select: (selection: Selection, move: boolean) => void;
  act: (alarm: AlarmOut, action: AlarmAction) => void;
  close: () => void;
}

type Fact = [MessageKey, Child];

export class DetailsPanel {
  readonly element: HTMLElement;
  private readonly options: DetailsOptions;
  private readonly kind: HTMLElement;
  private readonly title: HTMLElement;
  private readonly body: HTMLElement;
  private readonly chartSlot: HTMLElement;
  private readonly liveSlot: HTMLElement;
  private live: CameraLiveView | null = null;
  private snapshot: AlarmSnapshot | null = null;
  private selection: Selection | null = null;
  private metric: string | null = null;
  private chartRequest = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private chartTimer: ReturnType<typeof setInterval> | null = null;

  constructor(options: DetailsOptions) {
    this.options = options;
    this.kind = h("span", { class: "details-kind" });
    this.title = h("h2", { class: "details-title" });
    const close = h("button", { type: "button", class: "ghost icon", "data-i18n-title": "details.close", title: t("details.close") }, "×");
    close.addEventListener("click", () => options.close());
    const locate = text("button", "details.showOnMap", { type: "button", class: "ghost small" });
    locate.addEventListener("click", () => {
      if (this.selection !== null) options.select(this.selection, true);
    });
    this.body = h("div", { class: "details-body" });
    this.chartSlot = h("div", { class: "chart-slot" });
    this.liveSlot = h("div", { class: "live-slot" });
    this.element = h(
      "aside",
      { id: "details", class: "details", "aria-live": "polite" },
      h("header", { class: "details-head" }, h("div", {}, this.kind, this.title), h("div", { class: "details-tools" }, locate, close)),
      this.liveSlot,
      this.body,
      this.chartSlot,
    );
    this.element.hidden = true;
  }

  get current(): Selection | null {
    return this.selection;
  }

  show(selection: Selection | null): void {
    const same = selection !== null && selection.kind === this.selection?.kind && selection.id === this.selection.id;
    this.selection = selection;
    this.element.hidden = selection === null;
    if (this.chartTimer !== null) clearInterval(this.chartTimer);
    this.chartTimer = null;
    this.chartSlot.replaceChildren();
    this.metric = null;
    if (!same) this.stopMedia(); // the same thing again ("show on map"): its live view goes on
    this.element.dataset.kind = selection?.kind ?? "";
    if (selection?.kind === "device") {
      const device = this.options.registry.devices.get(selection.id);
      if (device !== undefined) this.startChart(device);
    }
    this.render();
  }

  /** The live state changed: redraw soon (at most once a second). */
  scheduleRefresh(): void {
    if (this.selection === null || this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.render();
    }, REFRESH_MS);
  }

  applyLanguage(): void {
    this.render();
    this.live?.applyLanguage();
    this.snapshot?.applyLanguage();
    const device = this.selection?.kind === "device" ? this.options.registry.devices.get(this.selection.id) : undefined;
    if (device !== undefined) this.startChart(device, this.metric);
  }

  dispose(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.chartTimer !== null) clearInterval(this.chartTimer);
    this.stopMedia();
  }

  /** Stop the live view and drop the event picture (the card shows something else, or closes). */
  private stopMedia(): void {
    this.live?.dispose();
    this.live = null;
    this.liveSlot.replaceChildren();
    this.snapshot?.dispose();
    this.snapshot = null;
  }

  private render(): void {
    const selection = this.selection;
    if (selection === null) return;
    switch (selection.kind) {
      case "site":
        return this.renderSite(selection.id);
      case "zone":
        return this.renderZone(selection.id);
      case "device":
        return this.renderDevice(selection.id);
      case "camera":
        return this.renderCamera(selection.id);
      case "alarm":
        return this.renderAlarm(selection.id);
    }
  }

  private head(kind: MessageKey, title: string): void {
    this.kind.textContent = t(kind);
    this.title.textContent = title;
  }

  private facts(facts: Fact[], ...extra: Child[]): void {
    const list = h("dl", { class: "facts" });
    for (const [key, value] of facts) list.append(h("dt", {}, t(key)), h("dd", {}, value ?? t("details.unknown")));
    replaceChildren(this.body, list, ...extra);
  }

  private renderSite(siteId: string): void {
    const { registry, store } = this.options;
    const site = registry.sites.get(siteId);
    if (site === undefined) return this.gone();
    this.head("details.site", site.name);
    const alarms = [...store.alarms.values()].filter((alarm) => registry.siteOfAlarm(alarm) === siteId);
    this.facts(
      [
        ["details.kind", label("siteKind", site.kind)],
        ["details.city", site.city],
        ["details.zones", String(registry.zonesOf(siteId).length)],
        ["details.devices", String(registry.devicesOf(siteId).length)],
        ["details.alarms", String(alarms.length)],
      ],
      this.alarmLinks(alarms),
      cameraLinks(this.options.cameras.ofSite(siteId), this.link),
    );
  }

  private renderZone(zoneId: string): void {
    const { registry, store } = this.options;
    const zone = registry.zones.get(zoneId);
    if (zone === undefined) return this.gone();
    const state = store.zones.get(zoneId);
    this.head("details.zone", zone.name);
    const site = registry.sites.get(zone.site_id);
    const level = state?.level ?? "normal";
    const alarms = [...store.alarms.values()].filter((alarm) => alarm.key.zone_id === zoneId);
    this.facts(
      [
        ["details.site", site?.name ?? zone.site_id],
        ["details.kind", label("zoneKind", zone.kind)],
        ["details.level", h("span", { class: "level-chip", "data-level": level }, label("level", level))],
        ["details.count", state?.count == null ? null : formatNumber(state.count)],
        ["details.density", state?.density == null ? null : t("unit.perM2", { n: formatNumber(state.density, 2) })],
        ["details.capacity", formatNumber(zone.capacity)],
        ["details.area", t("unit.m2", { n: formatNumber(zone.area_m2) })],
        ...(zone.width_m == null ? [] : [["details.width", t("unit.metres", { n: formatNumber(zone.width_m, 1) })] satisfies Fact]),
        ["details.alarms", String(state?.alarms ?? alarms.length)],
      ],
      this.alarmLinks(alarms),
    );
  }

  private renderDevice(deviceId: string): void {
    const { registry, store, now } = this.options;
    const device = registry.devices.get(deviceId);
    if (device === undefined) return this.gone();
    const state = store.devices.get(deviceId);
    this.head("details.device", `${label("deviceKind", device.kind)} · ${device.id}`);
    const health = state?.health ?? "unknown";
    const zone = device.zone_id === null ? undefined : registry.zones.get(device.zone_id);
    const alarms = [...store.alarms.values()].filter((alarm) => alarm.key.source === deviceId);
    this.facts(
      [
        ["details.health", h("span", { class: "health-chip", "data-health": health }, label("health", health))],
        [
          "details.lastSeen",
          state?.last_seen == null
            ? t("details.never")
            : `${formatTime(state.last_seen)} (${formatAge(state.last_seen, now())})`,
        ],
        ["details.battery", state?.battery_pct == null ? null : t("unit.percent", { n: formatNumber(state.battery_pct) })],
        ["details.site", registry.sites.get(device.site_id)?.name ?? device.site_id],
        ["details.zone", zone?.name ?? null],
        ["details.model", device.model || null],
        ["details.interval", t("unit.seconds", { n: formatNumber(device.interval_s) })],
        ["details.alarms", String(state?.alarms ?? alarms.length)],
      ],
      this.alarmLinks(alarms),
      this.options.cameras.get(deviceId)?.analysed ? liveButton(deviceId, (selection) => this.options.select(selection, true)) : null,
    );
  }

  private renderCamera(cameraId: string): void {
    const { registry, cameras } = this.options;
    const camera = cameras.get(cameraId);
    this.head("details.camera", cameraId);
    if (camera === undefined) return this.facts([["camera.state", null]]);
    if (camera.analysed && this.live === null) {
      this.live = new CameraLiveView({ api: this.options.api, cameraId, camera: () => cameras.get(cameraId) });
      this.liveSlot.replaceChildren(this.live.element);
      this.live.start();
    }
    this.live?.render();
    this.facts(cameraFacts(camera, registry, this.link), analyticsList(camera));
  }

  private renderAlarm(alarmId: string): void {
    const { registry, store, now } = this.options;
    const alarm = store.alarms.get(alarmId);
    if (alarm === undefined) return this.gone();
    this.head("details.alarm", label("alarmType", alarm.key.type));
    this.showSnapshot(alarm);
    const siteId = registry.siteOfAlarm(alarm);
    const zone = alarm.key.zone_id === null ? undefined : registry.zones.get(alarm.key.zone_id);
    const device = registry.devices.get(alarm.key.source);
    let sourceLink: Child = alarm.key.source;
    if (this.options.cameras.get(alarm.key.source)?.analysed) sourceLink = this.link({ kind: "camera", id: alarm.key.source }, alarm.key.source);
    else if (device !== undefined) sourceLink = this.link({ kind: "device", id: device.id }, device.id);
    const actions = this.options.canAct
      ? allowedActions(alarm).map((action) => {
          const button = h("button", { type: "button", class: `act act-${action}`, "data-action": action }, t(`action.${action}`));
          button.addEventListener("click", () => this.options.act(alarm, action));
          return button;
        })
      : [];
    this.facts(
      [
        ["details.priority", h("span", { class: "prio", "data-priority": alarm.priority }, `P${alarm.priority} · ${label("priority", alarm.priority)}`)],
        ["details.state", label("alarmState", alarm.state)],
        ["details.message", alarm.message],
        ["details.site", siteId === null ? null : this.link({ kind: "site", id: siteId }, registry.sites.get(siteId)?.name ?? siteId)],
        ["details.zone", zone === undefined ? null : this.link({ kind: "zone", id: zone.id }, zone.name)],
        ["details.source", sourceLink],
        ["details.raisedAt", `${formatTime(alarm.raised_at)} (${formatAge(alarm.raised_at, now())})`],
        ["details.updatedAt", formatTime(alarm.updated_at)],
        ["details.conditionActive", t(alarm.condition_active ? "details.conditionOn" : "details.conditionOff")],
        ["details.value", alarm.value === null ? null : formatNumber(alarm.value, 2)],
        ["details.triggers", String(alarm.trigger_count)],
        ["details.acknowledgedBy", alarm.acknowledged_by],
        ["details.shelvedUntil", alarm.shelved_until === null ? null : formatTime(alarm.shelved_until)],
        ["details.reason", alarm.state_reason],
      ],
      actions.length === 0 ? null : h("div", { class: "details-actions", "data-alarm-id": alarm.id, "data-state": alarm.state }, ...actions),
    );
  }

  /** For an alarm raised from a camera: the picture of its event, and the way to the camera's live view. */
  private showSnapshot(alarm: AlarmOut): void {
    const source = alarm.key.source;
    const camera = this.options.cameras.get(source);
    if (this.snapshot === null) {
      if (camera === undefined && this.options.registry.devices.get(source)?.kind !== "camera") return;
      this.snapshot = new AlarmSnapshot(
        {
          api: this.options.api,
          canOpenLive: camera?.analysed === true,
          openLive: (cameraId) => this.options.select({ kind: "camera", id: cameraId }, true),
        },
        source,
      );
      this.chartSlot.replaceChildren(this.snapshot.element);
    }
    this.snapshot.show(alarm);
  }

  private gone(): void {
    // The thing is no longer there (an alarm closed): keep the card, say so.
    this.facts([["details.state", label("alarmState", "cleared")]]);
  }

  private link = (selection: Selection, name: string): HTMLElement => {
    const button = h("button", { type: "button", class: "link" }, name);
    button.addEventListener("click", () => this.options.select(selection, true));
    return button;
  };

  private alarmLinks(alarms: AlarmOut[]): HTMLElement | null {
    if (alarms.length === 0) return null;
    const sorted = [...alarms].sort(compareAlarms).slice(0, MAX_LISTED_ALARMS);
    return h(
      "ul",
      { class: "details-alarms" },
      ...sorted.map((alarm) =>
        h(
          "li",
          {},
          h("span", { class: "prio", "data-priority": alarm.priority }, `P${alarm.priority}`),
          this.link({ kind: "alarm", id: alarm.id }, `${label("alarmType", alarm.key.type)} — ${label("alarmState", alarm.state)}`),
        ),
      ),
    );
  }

  /** The metric select and the chart of the device's latest readings. */
  private startChart(device: DeviceOut, metric: string | null = null): void {
    if (device.metrics.length === 0) {
      this.chartSlot.replaceChildren();
      return;
    }
    this.metric = metric !== null && device.metrics.includes(metric) ? metric : device.metrics[0]!;
    const select = h("select", { class: "metric-select", id: "details-metric" });
    for (const name of device.metrics) select.append(h("option", { value: name }, label("metric", name)));
    select.value = this.metric;
    const figure = h("div", { class: "chart-holder" });
    select.addEventListener("change", () => {
      this.metric = select.value;
      void this.loadChart(device.id, select.value, figure);
    });
    replaceChildren(
      this.chartSlot,
      h("div", { class: "chart-head" }, text("h3", "details.readings"), h("label", { class: "sr-only", for: "details-metric" }, t("details.metric")), select),
      figure,
    );
    void this.loadChart(device.id, this.metric, figure);
    if (this.chartTimer !== null) clearInterval(this.chartTimer);
    this.chartTimer = setInterval(() => {
      if (this.metric !== null) void this.loadChart(device.id, this.metric, figure);
    }, CHART_REFRESH_MS);
  }

  private async loadChart(deviceId: string, metric: string, holder: HTMLElement): Promise<void> {
    const request = ++this.chartRequest;
    if (holder.childElementCount === 0) holder.replaceChildren(h("p", { class: "muted" }, t("app.loading")));
    try {
      const readings = await this.options.api.readings(deviceId, metric);
      if (request !== this.chartRequest) return;
      holder.replaceChildren(
        readings.length === 0
          ? h("p", { class: "muted" }, t("details.noReadings"))
          : renderChart(readings.map((reading) => ({ ts: reading.ts, value: reading.value }))),
      );
    } catch (error) {
      if (request !== this.chartRequest) return;
      holder.replaceChildren(
        h("p", { class: "error" }, t("details.readingsFailed", { detail: error instanceof Error ? error.message : String(error) })),
      );
    }
  }
}
