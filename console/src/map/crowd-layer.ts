/**
 * The crowd layers of the MapLibre map: a density heatmap (each zone's live density spread evenly over its polygon,
 * full heat at FULL_HEAT_DENSITY) and the zones' outlines coloured by their level of service (green normal, amber,
 * red; none where no one is counted), with a control that turns each on and off and a legend. Fed by the live
 * store's zone states (the crowd worker's fused figure when a zone has one), redrawn at most once a second.
 */

import type { ExpressionSpecification, GeoJSONSource, IControl, Map as MapLibreMap } from "maplibre-gl";
import type { Feature, FeatureCollection, Point } from "geojson";
import {
  FULL_HEAT_DENSITY,
  HEAT_INTENSITY,
  heatRadius,
  heatWeight,
  levelOfService,
  zoneHeatPoints,
} from "../crowd";
import { onLanguageChange } from "../i18n";
import { ct } from "../i18n/crowd";
import type { Registry } from "../registry";
import type { LiveStore } from "../store";
import { COLOURS, HEALTH_COLOURS, LAYER, SOURCE } from "./style";

export const CROWD_SOURCE = "crowd-heat";
export const CROWD_LAYER = { heat: "crowd-heatmap", levels: "crowd-level-line" } as const;
const FLUSH_MS = 1000;
const HEAT_MIN_ZOOM = 11.5;
/** The densities named on the legend (p/m²): the moving crowd's amber, the standing crowd's amber and red (the bar
 * goes on to FULL_HEAT_DENSITY). */
const LEGEND_STOPS = [0, 2, 3.5, 4.7];

/** The heat's colour by the summed density (0–1 of FULL_HEAT_DENSITY). */
function heatColour(): ExpressionSpecification {
  const at = (density: number) => density / FULL_HEAT_DENSITY;
  return [
    "interpolate",
    ["linear"],
    ["heatmap-density"],
    0,
    "rgba(0,0,0,0)",
    0.03,
    "rgba(60,120,200,0.25)",
    at(1.5),
    "rgba(63,182,122,0.55)",
    at(2),
    "rgba(227,195,65,0.65)",
    at(3.5),
    "rgba(224,154,26,0.78)",
    at(4.7),
    "rgba(229,72,62,0.88)",
    1,
    "rgba(190,25,60,0.92)",
  ];
}

/** A point's kernel radius: its zone's point spacing (`s`, metres) in pixels at each zoom. */
function heatRadiusExpression(lat: number): ExpressionSpecification {
  const stops: unknown[] = [];
  for (const zoom of [10, 14, 18, 22]) stops.push(zoom, ["*", ["get", "s"], heatRadius(zoom, lat, 1)]);
  return ["interpolate", ["exponential", 2], ["zoom"], ...stops] as ExpressionSpecification;
}

interface HeatProperties {
  w: number;
  s: number;
}

interface Visibility {
  heat: boolean;
  levels: boolean;
}

export class CrowdLayer {
  private readonly map: MapLibreMap;
  private readonly registry: Registry;
  private readonly store: LiveStore;
  private readonly lat: number;
  private readonly heat = new Map<string, Feature<Point, HeatProperties>[]>();
  private readonly pending = new Set<string>();
  private readonly control: CrowdLayerControl;
  private readonly cleanups: (() => void)[] = [];
  private visible: Visibility = { heat: true, levels: true };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private loaded = false;

  constructor(map: MapLibreMap, registry: Registry, store: LiveStore) {
    this.map = map;
    this.registry = registry;
    this.store = store;
    const lats = [...registry.sites.values()].map((site) => site.position[1]);
    this.lat = lats.length === 0 ? 46 : lats.reduce((sum, lat) => sum + lat, 0) / lats.length;
    this.control = new CrowdLayerControl((visible) => this.setVisible(visible), this.visible);
    map.addControl(this.control, "top-right");
    // Installed once the map has loaded, and again should a new style replace the layers (a basemap that failed).
    map.on("load", () => {
      this.loaded = true;
      if (this.install()) this.changed(null);
    });
    map.on("styledata", () => {
      if (this.loaded && this.install()) this.changed(null);
    });
    this.cleanups.push(
      store.subscribe((update) => {
        if (update.reset) this.changed(null);
        else if (update.zoneIds.length > 0) this.changed(update.zoneIds);
      }),
      onLanguageChange(() => this.control.render()),
    );
  }

  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    for (const cleanup of this.cleanups) cleanup();
  }

  /** The heat and level of these zones changed (null: all): redrawn within a second. */
  changed(ids: Iterable<string> | null): void {
    for (const id of ids ?? this.registry.zones.keys()) this.pending.add(id);
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, FLUSH_MS);
  }

  /** Add the source and layers when the style lacks them (first load, or a new style); true when added. */
  private install(): boolean {
    const map = this.map;
    if (map.getSource(SOURCE.zones) === undefined || map.getSource(CROWD_SOURCE) !== undefined) return false;
    map.addSource(CROWD_SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const before = map.getLayer(LAYER.cameraViewFill) === undefined ? undefined : LAYER.cameraViewFill;
    map.addLayer(
      {
        id: CROWD_LAYER.heat,
        type: "heatmap",
        source: CROWD_SOURCE,
        minzoom: HEAT_MIN_ZOOM,
        layout: { visibility: this.visible.heat ? "visible" : "none" },
        paint: {
          "heatmap-weight": ["get", "w"],
          "heatmap-intensity": HEAT_INTENSITY,
          "heatmap-radius": heatRadiusExpression(this.lat),
          "heatmap-color": heatColour(),
          "heatmap-opacity": 0.85,
        },
      },
      before,
    );
    map.addLayer(
      {
        id: CROWD_LAYER.levels,
        type: "line",
        source: SOURCE.zones,
        minzoom: HEAT_MIN_ZOOM,
        layout: { visibility: this.visible.levels ? "visible" : "none" },
        paint: {
          "line-color": [
            "match",
            ["coalesce", ["feature-state", "los"], "none"],
            "red",
            COLOURS.levelRed,
            "amber",
            COLOURS.levelAmber,
            HEALTH_COLOURS.ok,
          ],
          "line-opacity": ["match", ["coalesce", ["feature-state", "los"], "none"], "none", 0, 0.95],
          "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1.2, 17, 3],
        },
      },
      before,
    );
    return true;
  }

  private setVisible(visible: Visibility): void {
    this.visible = visible;
    if (this.map.getLayer(CROWD_LAYER.heat) === undefined) return;
    this.map.setLayoutProperty(CROWD_LAYER.heat, "visibility", visible.heat ? "visible" : "none");
    this.map.setLayoutProperty(CROWD_LAYER.levels, "visibility", visible.levels ? "visible" : "none");
  }

  private flush(): void {
    if (this.map.getSource(CROWD_SOURCE) === undefined) return; // not installed yet: `install` redraws everything
    for (const id of this.pending) {
      const state = this.store.zones.get(id);
      if (this.registry.zones.has(id)) this.map.setFeatureState({ source: SOURCE.zones, id }, { los: levelOfService(state) });
      const weight = heatWeight(state?.density);
      const points = weight > 0 ? this.pointsOf(id) : this.heat.get(id);
      for (const point of points ?? []) point.properties.w = weight;
    }
    this.pending.clear();
    const features: Feature<Point, HeatProperties>[] = [];
    for (const points of this.heat.values()) if (points[0] !== undefined && points[0].properties.w > 0) features.push(...points);
    const data: FeatureCollection<Point, HeatProperties> = { type: "FeatureCollection", features };
    this.map.getSource<GeoJSONSource>(CROWD_SOURCE)?.setData(data);
  }

  /** The zone's heat points, made once. */
  private pointsOf(zoneId: string): Feature<Point, HeatProperties>[] {
    const held = this.heat.get(zoneId);
    if (held !== undefined) return held;
    const zone = this.registry.zones.get(zoneId);
    const made: Feature<Point, HeatProperties>[] = [];
    if (zone !== undefined) {
      const { points, spacingM } = zoneHeatPoints(zone);
      for (const position of points) {
        made.push({ type: "Feature", geometry: { type: "Point", coordinates: position }, properties: { w: 0, s: spacingM } });
      }
    }
    this.heat.set(zoneId, made);
    return made;
  }
}

/** The map control: a checkbox per crowd layer, and the heat's legend. */
class CrowdLayerControl implements IControl {
  private readonly element: HTMLElement;
  private readonly onChange: (visible: Visibility) => void;
  private visible: Visibility;

  constructor(onChange: (visible: Visibility) => void, visible: Visibility) {
    this.onChange = onChange;
    this.visible = { ...visible };
    this.element = document.createElement("div");
    this.element.className = "maplibregl-ctrl maplibregl-ctrl-group crowd-layers";
    this.element.id = "crowd-layers";
    this.render();
  }

  onAdd(): HTMLElement {
    return this.element;
  }

  onRemove(): void {
    this.element.remove();
  }

  render(): void {
    const title = document.createElement("div");
    title.className = "crowd-layers-title";
    title.textContent = ct("layers.title");
    const boxes = (["heat", "levels"] as const).map((key) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `crowd-layer-${key}`;
      box.checked = this.visible[key];
      box.addEventListener("change", () => {
        this.visible = { ...this.visible, [key]: box.checked };
        this.onChange({ ...this.visible });
      });
      label.append(box, ` ${ct(key === "heat" ? "layers.heat" : "layers.levels")}`);
      return label;
    });
    const legend = document.createElement("div");
    legend.className = "crowd-legend";
    const bar = document.createElement("div");
    bar.className = "crowd-legend-bar";
    const ticks = document.createElement("div");
    ticks.className = "crowd-legend-ticks";
    for (const stop of LEGEND_STOPS) {
      const tick = document.createElement("span");
      tick.style.left = `${(stop / FULL_HEAT_DENSITY) * 100}%`;
      tick.textContent = String(stop);
      ticks.append(tick);
    }
    const unit = document.createElement("div");
    unit.className = "crowd-legend-unit";
    unit.textContent = ct("layers.legend");
    legend.append(bar, ticks, unit);
    this.element.replaceChildren(title, ...boxes, legend);
  }
}
