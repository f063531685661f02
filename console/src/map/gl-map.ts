/**
 * The MapLibre map: sites as HTML markers at national scale; zones (coloured by level through feature-state) and
 * devices (clustered, coloured by health) when zoomed in. Live updates are batched: zone states at most every
 * 500 ms, the device source's data at most every second, whatever the stream's rate; and only what is in view is
 * pushed (the rest on the next move), so that a busy stream does not keep repainting the map. The cameras analysed
 * here are HTML markers (not device points) with their fields of view, when zoomed in.
 */

import {
  type GeoJSONSource,
  type LngLatBoundsLike,
  Map as MapLibreMap,
  type MapGeoJSONFeature,
  type MapMouseEvent,
  Marker,
  NavigationControl,
  ScaleControl,
} from "maplibre-gl";
import type { Feature, FeatureCollection, Point, Polygon } from "geojson";
import "maplibre-gl/dist/maplibre-gl.css";
import type { SiteAlarmCount } from "../alarms";
import { type Bounds, boundsOf, mainBounds } from "../geometry";
import type { Registry } from "../registry";
import type { LiveStore } from "../store";
import type { AlarmOut, CameraOut, LonLat } from "../types";
import { CameraMarkerSet, cameraViewData } from "./camera-markers";
import { CrowdLayer } from "./crowd-layer";
import { SiteMarkerSet } from "./site-markers";
import { DETAIL_ZOOM, LAYER, overlayLayers, overlaySources, offlineStyle, SOURCE, ZONE_MIN_ZOOM } from "./style";
import { MAX_PULSES, type MapView, PULSE_MS, type Selection } from "./view";

const ZONE_FLUSH_MS = 500;
const DEVICE_FLUSH_MS = 1000;
const MAX_CLUSTER_LABELS = 300;
const CLICK_LAYERS = [LAYER.devices, LAYER.clusters, LAYER.zoneFill, LAYER.outlineFill];

interface DeviceProperties {
  id: string;
  site_id: string;
  kind: string;
  health: string;
}

export class GlMapView implements MapView {
  private readonly map: MapLibreMap;
  private readonly registry: Registry;
  private readonly store: LiveStore;
  private readonly onSelect: (selection: Selection) => void;
  private readonly markers: SiteMarkerSet;
  private readonly cameraMarkers: CameraMarkerSet;
  private readonly cameraPins = new Map<string, Marker>();
  private readonly cameras = new Map<string, CameraOut>();
  private readonly deviceFeatures = new Map<string, Feature<Point, DeviceProperties>>();
  private readonly siteMarkers = new Map<string, Marker>();
  private readonly clusterLabels = new Map<number, Marker>();
  private layoutFrame: number | null = null;
  private readonly pulses = new Set<Marker>();
  /** Zones and devices whose state changed and is not drawn yet (drawn when in view, to spare repaints). */
  private readonly pendingZones = new Set<string>();
  private readonly pendingDevices = new Set<string>();
  private lastDeviceFlush = 0;
  private loaded = false;
  private remoteStyle: boolean;
  private readonly flushTimer: ReturnType<typeof setInterval>;
  private pendingFocus: { selection: Selection | null; move: boolean } | null = null;
  private readonly crowd: CrowdLayer;

  constructor(
    container: HTMLElement,
    registry: Registry,
    store: LiveStore,
    styleUrl: string | null,
    onSelect: (selection: Selection) => void,
  ) {
    this.registry = registry;
    this.store = store;
    this.onSelect = onSelect;
    const positions = [...registry.sites.values()].map((site) => site.position);
    const bounds = mainBounds(positions) ?? [-5, 41, 10, 51];
    this.map = new MapLibreMap({
      container,
      style: styleUrl ?? offlineStyle(),
      bounds: widen(bounds),
      fitBoundsOptions: { padding: 48, maxZoom: 14 },
      attributionControl: styleUrl === null ? false : { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      maxPitch: 0,
      renderWorldCopies: false,
      fadeDuration: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new ScaleControl({ unit: "metric" }), "bottom-right");

    this.markers = new SiteMarkerSet(registry.sites.values(), siteSizes(registry), (siteId) =>
      this.onSelect({ kind: "site", id: siteId }),
    );
    for (const site of registry.sites.values()) {
      const marker = new Marker({ element: this.markers.elements.get(site.id)!, anchor: "center" })
        .setLngLat(site.position)
        .addTo(this.map);
      this.siteMarkers.set(site.id, marker);
    }
    this.cameraMarkers = new CameraMarkerSet((cameraId) => this.onSelect({ kind: "camera", id: cameraId }));
    for (const device of registry.devices.values()) {
      this.deviceFeatures.set(device.id, {
        type: "Feature",
        geometry: { type: "Point", coordinates: device.position },
        properties: { id: device.id, site_id: device.site_id, kind: device.kind, health: "unknown" },
      });
    }

    this.remoteStyle = styleUrl !== null;
    this.map.on("load", () => this.onLoad());
    this.map.on("error", (event) => {
      // A basemap style that cannot be fetched (no network): fall back to the offline basemap.
      if (this.loaded || !this.remoteStyle || "sourceId" in event) return; // tile errors are not the style's
      console.warn("basemap style failed, using the offline basemap", event.error);
      this.remoteStyle = false;
      this.map.setStyle(offlineStyle());
    });
    this.map.on("click", (event) => this.onClick(event));
    this.map.on("mousemove", (event) => this.onHover(event));
    this.map.on("zoom", () => this.scheduleLayout());
    this.map.on("resize", () => this.scheduleLayout());
    this.map.on("moveend", () => {
      this.flush(true);
      this.refreshClusterLabels();
      this.layoutSites();
    });
    this.map.on("sourcedata", (event) => {
      if (event.sourceId === SOURCE.devices && event.isSourceLoaded) this.refreshClusterLabels();
    });
    this.flushTimer = setInterval(() => this.flush(), ZONE_FLUSH_MS);
    this.crowd = new CrowdLayer(this.map, registry, store);
  }

  devicesChanged(ids: Iterable<string> | null): void {
    for (const id of ids ?? this.registry.devices.keys()) {
      this.pendingDevices.add(id);
      if (this.cameraPins.has(id)) this.cameraMarkers.setHealth(id, this.store.devices.get(id)?.health);
    }
  }

  setCameras(cameras: readonly CameraOut[]): void {
    this.cameras.clear();
    for (const camera of cameras) this.cameras.set(camera.id, camera);
    const { added, removed } = this.cameraMarkers.update(cameras);
    for (const id of removed) {
      this.cameraPins.get(id)?.remove();
      this.cameraPins.delete(id);
    }
    for (const id of added) {
      const element = this.cameraMarkers.elements.get(id)!;
      this.cameraPins.set(id, new Marker({ element, anchor: "center" }).setLngLat(this.cameras.get(id)!.position!).addTo(this.map));
      this.cameraMarkers.setHealth(id, this.store.devices.get(id)?.health);
    }
    for (const [id, pin] of this.cameraPins) pin.setLngLat(this.cameras.get(id)!.position!);
    this.cameraMarkers.setVisible(this.map.getZoom() >= DETAIL_ZOOM);
    // An analysed camera is drawn by its marker, not as a device point too.
    this.devicesChanged([...added, ...removed]);
    if (this.loaded) {
      this.map.getSource<GeoJSONSource>(SOURCE.cameraViews)?.setData(cameraViewData(this.cameras.values()));
      this.flush(true);
    }
  }

  zonesChanged(ids: Iterable<string> | null): void {
    for (const id of ids ?? this.registry.zones.keys()) this.pendingZones.add(id);
  }

  setSiteAlarms(counts: Map<string, SiteAlarmCount>): void {
    this.markers.setCounts(counts);
    this.layoutSites();
  }

  pulse(alarm: AlarmOut): void {
    const siteId = this.registry.siteOfAlarm(alarm);
    if (siteId !== null) this.markers.flash(siteId, PULSE_MS);
    const position = this.registry.alarmPosition(alarm);
    if (position === null || this.pulses.size >= MAX_PULSES) return;
    // MapLibre places a marker with a CSS transform on its element: the ring's scaling animation goes on a child,
    // or it would replace that transform and draw the pulse in the map's corner.
    const element = document.createElement("div");
    element.className = "pulse-anchor";
    const ring = document.createElement("div");
    ring.className = "pulse";
    ring.dataset.priority = String(alarm.priority);
    ring.dataset.alarmPulse = alarm.id;
    element.append(ring);
    const marker = new Marker({ element, anchor: "center" }).setLngLat(position).addTo(this.map);
    this.pulses.add(marker);
    setTimeout(() => {
      marker.remove();
      this.pulses.delete(marker);
    }, PULSE_MS);
  }

  focus(selection: Selection | null, move: boolean): void {
    if (!this.loaded) {
      this.pendingFocus = { selection, move };
      return;
    }
    this.markers.select(selection?.kind === "site" ? selection.id : null);
    this.cameraMarkers.select(selection?.kind === "camera" ? selection.id : null);
    const highlight = this.highlightOf(selection);
    this.map.getSource<GeoJSONSource>(SOURCE.selection)?.setData(highlight.data);
    if (!move || selection === null) return;
    if (highlight.bounds !== null) {
      this.map.fitBounds(widen(highlight.bounds), { padding: 80, maxZoom: highlight.maxZoom, duration: 900 });
    } else if (highlight.centre !== null) {
      this.map.flyTo({ center: highlight.centre, zoom: Math.max(this.map.getZoom(), 17), duration: 900 });
    }
  }

  applyLanguage(): void {
    this.markers.applyLanguage();
    this.cameraMarkers.applyLanguage();
  }

  destroy(): void {
    clearInterval(this.flushTimer);
    this.crowd.destroy();
    if (this.layoutFrame !== null) cancelAnimationFrame(this.layoutFrame);
    this.map.remove();
  }

  private onLoad(): void {
    if (this.remoteStyle) {
      for (const [id, source] of Object.entries(overlaySources())) {
        if (this.map.getSource(id) === undefined) this.map.addSource(id, source);
      }
      for (const layer of overlayLayers()) if (this.map.getLayer(layer.id) === undefined) this.map.addLayer(layer);
    }
    this.map.getSource<GeoJSONSource>(SOURCE.outlines)?.setData(this.outlineData());
    this.map.getSource<GeoJSONSource>(SOURCE.zones)?.setData(this.zoneData());
    this.map.getSource<GeoJSONSource>(SOURCE.cameraViews)?.setData(cameraViewData(this.cameras.values()));
    this.loaded = true;
    this.layoutSites();
    this.zonesChanged(null);
    this.devicesChanged(null);
    this.flush(true);
    if (this.pendingFocus !== null) {
      const { selection, move } = this.pendingFocus;
      this.pendingFocus = null;
      this.focus(selection, move);
    }
  }

  private outlineData(): FeatureCollection<Polygon> {
    const features: Feature<Polygon>[] = [];
    for (const [siteId, ring] of this.registry.outlines) {
      features.push({
        type: "Feature",
        geometry: { type: "Polygon", coordinates: [ring] },
        properties: { id: siteId },
      });
    }
    return { type: "FeatureCollection", features };
  }

  private zoneData(): FeatureCollection<Polygon> {
    const features: Feature<Polygon>[] = [];
    for (const zone of this.registry.zones.values()) {
      features.push({
        type: "Feature",
        geometry: { type: "Polygon", coordinates: zone.polygon },
        properties: { id: zone.id, site_id: zone.site_id, kind: zone.kind },
      });
    }
    return { type: "FeatureCollection", features };
  }

  /**
   * Push to the map what changed and is in view (with a margin): zone levels at once, device health at most every
   * second (or at once when `now`, after a move). Changes out of view or below the zoom that shows them wait.
   */
  private flush(now = false): void {
    if (!this.loaded) return;
    const view = this.paddedView();
    const zoom = this.map.getZoom();
    if (zoom >= ZONE_MIN_ZOOM) {
      for (const id of this.pendingZones) {
        const centre = this.registry.zoneCentres.get(id);
        if (centre !== undefined && !inside(view, centre)) continue;
        this.pendingZones.delete(id);
        if (centre === undefined) continue;
        const level = this.store.zones.get(id)?.level ?? "normal";
        this.map.setFeatureState({ source: SOURCE.zones, id }, { level });
      }
    }
    const due = now || Date.now() - this.lastDeviceFlush >= DEVICE_FLUSH_MS;
    if (zoom < DETAIL_ZOOM || this.pendingDevices.size === 0 || !due) return;
    let visible = false;
    for (const id of this.pendingDevices) {
      const position = this.registry.devices.get(id)?.position;
      if (position !== undefined && inside(view, position)) {
        visible = true;
        break;
      }
    }
    if (!visible) return;
    this.pendingDevices.clear();
    this.lastDeviceFlush = Date.now();
    for (const [id, feature] of this.deviceFeatures) {
      feature.properties.health = this.store.devices.get(id)?.health ?? "unknown";
    }
    const data: FeatureCollection<Point, DeviceProperties> = {
      type: "FeatureCollection",
      features: [...this.deviceFeatures.values()].filter((feature) => !this.cameraPins.has(feature.properties.id)),
    };
    this.map.getSource<GeoJSONSource>(SOURCE.devices)?.setData(data);
  }

  /** The visible box widened by half its size on each side. */
  private paddedView(): Bounds {
    const bounds = this.map.getBounds();
    const west = bounds.getWest();
    const east = bounds.getEast();
    const south = bounds.getSouth();
    const north = bounds.getNorth();
    const padLon = (east - west) / 2;
    const padLat = (north - south) / 2;
    return [west - padLon, south - padLat, east + padLon, north + padLat];
  }

  /** Site markers apart and named where there is room (on every zoom frame, at most once per frame). */
  private scheduleLayout(): void {
    if (this.layoutFrame !== null) return;
    this.layoutFrame = requestAnimationFrame(() => {
      this.layoutFrame = null;
      this.layoutSites();
    });
  }

  private layoutSites(): void {
    this.cameraMarkers.setVisible(this.map.getZoom() >= DETAIL_ZOOM);
    const canvas = this.map.getCanvas();
    const offsets = this.markers.layout((position) => this.map.project(position), canvas.clientWidth, canvas.clientHeight);
    for (const [siteId, [dx, dy]] of offsets) this.siteMarkers.get(siteId)?.setOffset([dx, dy]);
  }

  /** Counts on the clusters on screen, as HTML (no glyphs); none below the detail zoom. */
  private refreshClusterLabels(): void {
    if (!this.loaded) return;
    const seen = new Set<number>();
    if (this.map.getZoom() >= DETAIL_ZOOM) {
      const clusters = this.map.querySourceFeatures(SOURCE.devices, { filter: ["has", "point_count"] });
      for (const cluster of clusters) {
        const id = Number(cluster.properties.cluster_id);
        if (seen.has(id) || seen.size >= MAX_CLUSTER_LABELS || cluster.geometry.type !== "Point") continue;
        seen.add(id);
        const coordinates = cluster.geometry.coordinates as LonLat;
        const text = String(cluster.properties.point_count_abbreviated ?? cluster.properties.point_count);
        const held = this.clusterLabels.get(id);
        if (held !== undefined) {
          held.setLngLat(coordinates);
          if (held.getElement().textContent !== text) held.getElement().textContent = text;
          continue;
        }
        const element = document.createElement("div");
        element.className = "cluster-count";
        element.textContent = text;
        this.clusterLabels.set(id, new Marker({ element, anchor: "center" }).setLngLat(coordinates).addTo(this.map));
      }
    }
    for (const [id, marker] of this.clusterLabels) {
      if (seen.has(id)) continue;
      marker.remove();
      this.clusterLabels.delete(id);
    }
  }

  private hitAt(event: MapMouseEvent): MapGeoJSONFeature | null {
    const layers = CLICK_LAYERS.filter((id) => this.map.getLayer(id) !== undefined);
    if (layers.length === 0) return null;
    const features = this.map.queryRenderedFeatures(event.point, { layers });
    for (const layer of CLICK_LAYERS) {
      const hit = features.find((feature) => feature.layer.id === layer);
      if (hit !== undefined) return hit;
    }
    return null;
  }

  private onHover(event: MapMouseEvent): void {
    this.map.getCanvas().style.cursor = this.hitAt(event) === null ? "" : "pointer";
  }

  private onClick(event: MapMouseEvent): void {
    const hit = this.hitAt(event);
    if (hit === null) return;
    const properties = hit.properties;
    switch (hit.layer.id) {
      case LAYER.devices:
        this.onSelect({ kind: "device", id: String(properties.id) });
        return;
      case LAYER.clusters: {
        const source = this.map.getSource<GeoJSONSource>(SOURCE.devices);
        if (source === undefined || hit.geometry.type !== "Point") return;
        const centre = hit.geometry.coordinates as LonLat;
        void source.getClusterExpansionZoom(Number(properties.cluster_id)).then((zoom) => {
          this.map.easeTo({ center: centre, zoom: zoom + 0.2, duration: 500 });
        });
        return;
      }
      case LAYER.zoneFill:
        this.onSelect({ kind: "zone", id: String(properties.id) });
        return;
      case LAYER.outlineFill:
        this.onSelect({ kind: "site", id: String(properties.id) });
        return;
    }
  }

  private highlightOf(selection: Selection | null): {
    data: FeatureCollection;
    bounds: Bounds | null;
    centre: LonLat | null;
    maxZoom: number;
  } {
    const none = { data: { type: "FeatureCollection" as const, features: [] }, bounds: null, centre: null, maxZoom: 18 };
    if (selection === null) return none;
    const polygon = (ring: LonLat[][], maxZoom: number) => ({
      data: {
        type: "FeatureCollection" as const,
        features: [{ type: "Feature" as const, properties: {}, geometry: { type: "Polygon" as const, coordinates: ring } }],
      },
      bounds: boundsOf(ring[0] ?? []),
      centre: null,
      maxZoom,
    });
    const point = (position: LonLat) => ({
      data: {
        type: "FeatureCollection" as const,
        features: [{ type: "Feature" as const, properties: {}, geometry: { type: "Point" as const, coordinates: position } }],
      },
      bounds: null,
      centre: position,
      maxZoom: 18,
    });
    switch (selection.kind) {
      case "site": {
        const outline = this.registry.outlines.get(selection.id);
        return outline === undefined ? none : polygon([outline], 17);
      }
      case "zone": {
        const zone = this.registry.zones.get(selection.id);
        return zone === undefined ? none : polygon(zone.polygon, 18);
      }
      case "device": {
        const device = this.registry.devices.get(selection.id);
        return device === undefined ? none : point(device.position);
      }
      case "camera": {
        const position = this.cameras.get(selection.id)?.position ?? this.registry.devices.get(selection.id)?.position;
        return position === undefined || position === null ? none : point(position);
      }
      case "alarm": {
        const alarm = this.store.alarms.get(selection.id);
        if (alarm === undefined) return none;
        const device = this.registry.devices.get(alarm.key.source);
        if (device !== undefined) return point(device.position);
        const zone = alarm.key.zone_id === null ? undefined : this.registry.zones.get(alarm.key.zone_id);
        if (zone !== undefined) return polygon(zone.polygon, 18);
        const position = this.registry.alarmPosition(alarm);
        return position === null ? none : point(position);
      }
    }
  }
}

function inside([west, south, east, north]: Bounds, [lon, lat]: LonLat): boolean {
  return lon >= west && lon <= east && lat >= south && lat <= north;
}

/** Each site's device count. */
export function siteSizes(registry: Registry): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const siteId of registry.sites.keys()) sizes.set(siteId, registry.devicesOf(siteId).length);
  return sizes;
}

/** A box with some width and height even around a single point (fitBounds needs an area). */
function widen([west, south, east, north]: Bounds): LngLatBoundsLike {
  const minSpan = 0.0005;
  const padLon = Math.max(0, (minSpan - (east - west)) / 2);
  const padLat = Math.max(0, (minSpan - (north - south)) / 2);
  return [
    [west - padLon, south - padLat],
    [east + padLon, north + padLat],
  ];
}
