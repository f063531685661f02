/**
 * The map when the browser has no WebGL: the same site markers and alarm pulses on a plain Web Mercator projection
 * of the sites' main area, so that the alarm workflow still works. Zones and devices are in the details panel.
 */

import type { SiteAlarmCount } from "../alarms";
import { mainBounds } from "../geometry";
import { t } from "../i18n";
import type { Registry } from "../registry";
import type { AlarmOut, CameraOut, LonLat } from "../types";
import type { Offset } from "./labels";
import { SiteMarkerSet } from "./site-markers";
import { MAX_PULSES, type MapView, PULSE_MS, type Selection } from "./view";

function mercatorY(lat: number): number {
  const clamped = Math.max(-85, Math.min(85, lat));
  return Math.log(Math.tan(Math.PI / 4 + (clamped * Math.PI) / 360));
}

export class FlatMapView implements MapView {
  private readonly container: HTMLElement;
  private readonly registry: Registry;
  private readonly markers: SiteMarkerSet;
  private readonly layer: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly resizeObserver: ResizeObserver;
  private pulses = 0;
  private readonly cameraSites = new Map<string, string>();

  constructor(container: HTMLElement, registry: Registry, onSelect: (selection: Selection) => void) {
    this.container = container;
    this.registry = registry;
    container.classList.add("flat-map");
    this.layer = document.createElement("div");
    this.layer.className = "flat-layer";
    this.notice = document.createElement("p");
    this.notice.className = "flat-notice";
    this.notice.textContent = t("app.noMapGl");
    container.append(this.layer, this.notice);
    const sizes = new Map([...registry.sites.keys()].map((siteId) => [siteId, registry.devicesOf(siteId).length]));
    this.markers = new SiteMarkerSet(registry.sites.values(), sizes, (siteId) => onSelect({ kind: "site", id: siteId }));
    for (const element of this.markers.elements.values()) this.layer.appendChild(element);
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(container);
    this.layout();
  }

  devicesChanged(): void {}

  zonesChanged(): void {}

  /** No camera markers here (the site's card lists its cameras): only which site each camera is at. */
  setCameras(cameras: readonly CameraOut[]): void {
    this.cameraSites.clear();
    for (const camera of cameras) if (camera.site_id !== null) this.cameraSites.set(camera.id, camera.site_id);
  }

  setSiteAlarms(counts: Map<string, SiteAlarmCount>): void {
    this.markers.setCounts(counts);
    this.layout();
  }

  pulse(alarm: AlarmOut): void {
    const siteId = this.registry.siteOfAlarm(alarm);
    if (siteId !== null) this.markers.flash(siteId, PULSE_MS);
    const position = this.registry.alarmPosition(alarm);
    if (position === null || this.pulses >= MAX_PULSES) return;
    const element = document.createElement("div");
    element.className = "pulse";
    element.dataset.priority = String(alarm.priority);
    element.dataset.alarmPulse = alarm.id;
    this.place(element, position);
    this.layer.appendChild(element);
    this.pulses += 1;
    setTimeout(() => {
      element.remove();
      this.pulses -= 1;
    }, PULSE_MS);
  }

  focus(selection: Selection | null): void {
    let siteId: string | null = null;
    if (selection?.kind === "site") siteId = selection.id;
    else if (selection?.kind === "zone") siteId = this.registry.zones.get(selection.id)?.site_id ?? null;
    else if (selection?.kind === "device") siteId = this.registry.devices.get(selection.id)?.site_id ?? null;
    else if (selection?.kind === "camera") siteId = this.cameraSites.get(selection.id) ?? null;
    this.markers.select(siteId);
  }

  applyLanguage(): void {
    this.markers.applyLanguage();
    this.notice.textContent = t("app.noMapGl");
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.container.classList.remove("flat-map");
    this.container.replaceChildren();
  }

  /** Every marker at its place, moved aside where markers would overlap. */
  private layout(): void {
    const offsets = this.markers.layout(
      (position) => this.project(position),
      this.container.clientWidth,
      this.container.clientHeight,
    );
    for (const site of this.registry.sites.values()) {
      const element = this.markers.elements.get(site.id);
      if (element !== undefined) this.place(element, site.position, offsets.get(site.id) ?? [0, 0]);
    }
  }

  private place(element: HTMLElement, position: LonLat, [dx, dy]: Offset = [0, 0]): void {
    const projected = this.project(position);
    const x = projected.x + dx;
    const y = projected.y + dy;
    element.style.position = "absolute";
    element.style.left = `${x.toFixed(1)}px`;
    element.style.top = `${y.toFixed(1)}px`;
  }

  private project([lon, lat]: LonLat): { x: number; y: number } {
    const positions = [...this.registry.sites.values()].map((site) => site.position);
    const [west, south, east, north] = mainBounds(positions) ?? [-5, 41, 10, 51];
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    const pad = 40;
    const rad = Math.PI / 180;
    const spanX = Math.max(1e-6, (east - west) * rad);
    const spanY = Math.max(1e-6, mercatorY(north) - mercatorY(south));
    const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
    const x = width / 2 + (lon - (west + east) / 2) * rad * scale;
    const y = height / 2 - (mercatorY(lat) - (mercatorY(north) + mercatorY(south)) / 2) * scale;
    return { x, y };
  }
}
