/**
 * The map's sources and layers. Offline, the whole basemap is drawn from the scenario's own geometry (a plain
 * background, a graticule, site outlines, zones) with no tiles, glyphs or sprites; with a basemap style URL the same
 * overlay goes on top of that style. No symbol layer anywhere: text lives in HTML markers.
 */

import type {
  ExpressionSpecification,
  GeoJSONSourceSpecification,
  LayerSpecification,
  StyleSpecification,
} from "maplibre-gl";
import type { Feature, FeatureCollection, LineString, Position } from "geojson";

export const SOURCE = {
  graticule: "graticule",
  outlines: "site-outlines",
  zones: "zones",
  devices: "devices",
  cameraViews: "camera-views",
  selection: "selection",
} as const;

export const LAYER = {
  background: "background",
  graticule: "graticule-line",
  outlineFill: "site-outline-fill",
  outlineLine: "site-outline-line",
  zoneFill: "zone-fill",
  zoneLine: "zone-line",
  cameraViewFill: "camera-view-fill",
  cameraViewLine: "camera-view-line",
  clusters: "device-clusters",
  devices: "device-points",
  selectionFill: "selection-fill",
  selectionLine: "selection-line",
  selectionPoint: "selection-point",
} as const;

/** From this zoom on, zones and devices are drawn and site markers turn into labels. */
export const DETAIL_ZOOM = 13;
export const ZONE_MIN_ZOOM = 11.5;
/** From this zoom on, the analysed cameras' fields of view are drawn (their markers show from DETAIL_ZOOM). */
export const CAMERA_VIEW_MIN_ZOOM = 15;
export const CLUSTER_MAX_ZOOM = 16;
export const CLUSTER_RADIUS = 42;

export const COLOURS = {
  background: "#0d1318",
  graticule: "#18232c",
  outlineFill: "#2b4256",
  outlineLine: "#6a8aa6",
  zoneLine: "#55708a",
  levelAmber: "#e09a1a",
  levelRed: "#e5483e",
  selection: "#f4f7fb",
  cluster: "#4f6b86",
  clusterAlarm: "#c8433a",
} as const;

export const HEALTH_COLOURS = {
  ok: "#3fb67a",
  silent: "#8a9bc4",
  low_battery: "#e3c341",
  in_alarm: "#f0483d",
  unknown: "#5b6671",
} as const;

export const ZONE_KIND_COLOURS: Record<string, string> = {
  gate: "#3e5469",
  stand: "#2c3f55",
  concourse: "#304250",
  field: "#254431",
  fan_zone: "#3b3557",
  plaza: "#34444f",
  platform: "#30404b",
  perimeter: "#2a3540",
  forbidden: "#4d2b2e",
  technical: "#36323f",
  parking: "#2c3036",
  water: "#1c3a57",
};
const ZONE_DEFAULT_COLOUR = "#2f3c48";

/** A camera's colour by state group (cameras.ts `cameraColour`). */
export const CAMERA_COLOURS = {
  online: "#3fb67a",
  offline: "#e5483e",
  connecting: "#8796a4",
  unknown: "#5b6671",
} as const;

function cameraColour(): ExpressionSpecification {
  return [
    "match",
    ["get", "state"],
    "online",
    CAMERA_COLOURS.online,
    "offline",
    CAMERA_COLOURS.offline,
    "connecting",
    CAMERA_COLOURS.connecting,
    CAMERA_COLOURS.unknown,
  ];
}

function zoneFillColour(): ExpressionSpecification {
  const byKind: unknown[] = ["match", ["get", "kind"]];
  for (const [kind, colour] of Object.entries(ZONE_KIND_COLOURS)) byKind.push(kind, colour);
  byKind.push(ZONE_DEFAULT_COLOUR);
  return [
    "match",
    ["coalesce", ["feature-state", "level"], "normal"],
    "red",
    COLOURS.levelRed,
    "amber",
    COLOURS.levelAmber,
    byKind as ExpressionSpecification,
  ];
}

function healthColour(): ExpressionSpecification {
  return [
    "match",
    ["get", "health"],
    "in_alarm",
    HEALTH_COLOURS.in_alarm,
    "silent",
    HEALTH_COLOURS.silent,
    "low_battery",
    HEALTH_COLOURS.low_battery,
    "ok",
    HEALTH_COLOURS.ok,
    HEALTH_COLOURS.unknown,
  ];
}

const EMPTY: FeatureCollection = { type: "FeatureCollection", features: [] };

/** Our sources, empty; the data is set once the registry is loaded. */
export function overlaySources(): Record<string, GeoJSONSourceSpecification> {
  return {
    [SOURCE.outlines]: { type: "geojson", data: EMPTY, promoteId: "id" },
    [SOURCE.zones]: { type: "geojson", data: EMPTY, promoteId: "id" },
    [SOURCE.devices]: {
      type: "geojson",
      data: EMPTY,
      cluster: true,
      clusterMaxZoom: CLUSTER_MAX_ZOOM,
      clusterRadius: CLUSTER_RADIUS,
      clusterProperties: {
        in_alarm: ["+", ["case", ["==", ["get", "health"], "in_alarm"], 1, 0]],
      },
    },
    [SOURCE.cameraViews]: { type: "geojson", data: EMPTY },
    [SOURCE.selection]: { type: "geojson", data: EMPTY },
  };
}

/** Our layers, bottom to top. */
export function overlayLayers(): LayerSpecification[] {
  return [
    {
      id: LAYER.outlineFill,
      type: "fill",
      source: SOURCE.outlines,
      paint: {
        "fill-color": COLOURS.outlineFill,
        "fill-opacity": ["interpolate", ["linear"], ["zoom"], 8, 0.55, DETAIL_ZOOM, 0.18],
      },
    },
    {
      id: LAYER.outlineLine,
      type: "line",
      source: SOURCE.outlines,
      paint: { "line-color": COLOURS.outlineLine, "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.6, 16, 2] },
    },
    {
      id: LAYER.zoneFill,
      type: "fill",
      source: SOURCE.zones,
      minzoom: ZONE_MIN_ZOOM,
      paint: {
        "fill-color": zoneFillColour(),
        "fill-opacity": [
          "match",
          ["coalesce", ["feature-state", "level"], "normal"],
          "red",
          0.62,
          "amber",
          0.52,
          0.78,
        ],
      },
    },
    {
      id: LAYER.zoneLine,
      type: "line",
      source: SOURCE.zones,
      minzoom: ZONE_MIN_ZOOM,
      paint: { "line-color": COLOURS.zoneLine, "line-width": 0.8 },
    },
    {
      id: LAYER.cameraViewFill,
      type: "fill",
      source: SOURCE.cameraViews,
      minzoom: CAMERA_VIEW_MIN_ZOOM,
      paint: { "fill-color": cameraColour(), "fill-opacity": 0.2 },
    },
    {
      id: LAYER.cameraViewLine,
      type: "line",
      source: SOURCE.cameraViews,
      minzoom: CAMERA_VIEW_MIN_ZOOM,
      paint: { "line-color": cameraColour(), "line-width": 1.2, "line-opacity": 0.8 },
    },
    {
      id: LAYER.selectionFill,
      type: "fill",
      source: SOURCE.selection,
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": COLOURS.selection, "fill-opacity": 0.12 },
    },
    {
      id: LAYER.selectionLine,
      type: "line",
      source: SOURCE.selection,
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "line-color": COLOURS.selection, "line-width": 2.5 },
    },
    {
      id: LAYER.clusters,
      type: "circle",
      source: SOURCE.devices,
      minzoom: DETAIL_ZOOM,
      filter: ["has", "point_count"],
      paint: {
        "circle-color": ["case", [">", ["get", "in_alarm"], 0], COLOURS.clusterAlarm, COLOURS.cluster],
        "circle-opacity": 0.85,
        "circle-radius": ["step", ["get", "point_count"], 11, 10, 14, 50, 18, 200, 23],
        "circle-stroke-color": "#0d1318",
        "circle-stroke-width": 1.5,
      },
    },
    {
      id: LAYER.devices,
      type: "circle",
      source: SOURCE.devices,
      minzoom: DETAIL_ZOOM,
      filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-color": healthColour(),
        "circle-radius": ["interpolate", ["linear"], ["zoom"], DETAIL_ZOOM, 3.5, 18, 7],
        "circle-stroke-color": "#0d1318",
        "circle-stroke-width": 1,
      },
    },
    {
      id: LAYER.selectionPoint,
      type: "circle",
      source: SOURCE.selection,
      filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-radius": 10,
        "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-color": COLOURS.selection,
        "circle-stroke-width": 2.5,
      },
    },
  ];
}

/** Meridians and parallels every `step` degrees over the world, as lines. */
export function graticule(step: number): FeatureCollection<LineString> {
  const features: Feature<LineString>[] = [];
  for (let lon = -180; lon <= 180; lon += step) {
    features.push({
      type: "Feature",
      properties: {},
      geometry: {
        type: "LineString",
        coordinates: [
          [lon, -85],
          [lon, 0],
          [lon, 85],
        ],
      },
    });
  }
  for (let lat = -80; lat <= 80; lat += step) {
    const coordinates: Position[] = [];
    for (let lon = -180; lon <= 180; lon += 10) coordinates.push([lon, lat]);
    features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates } });
  }
  return { type: "FeatureCollection", features };
}

/** The offline style: a background and a graticule under our overlay; no tiles, glyphs or sprites. */
export function offlineStyle(): StyleSpecification {
  return {
    version: 8,
    name: "Beffroi offline",
    sources: {
      [SOURCE.graticule]: { type: "geojson", data: graticule(1) },
      ...overlaySources(),
    },
    layers: [
      { id: LAYER.background, type: "background", paint: { "background-color": COLOURS.background } },
      {
        id: LAYER.graticule,
        type: "line",
        source: SOURCE.graticule,
        paint: { "line-color": COLOURS.graticule, "line-width": 1 },
      },
      ...overlayLayers(),
    ],
  };
}
