/**
 * The analysed cameras on the map: an HTML marker each (a camera glyph drawn in SVG, ringed by the camera's state
 * colour, a notch pointing where it looks), and their fields of view as GeoJSON polygons for a fill layer. HTML,
 * because the offline map has no sprites or glyphs. The registry's other cameras stay device points.
 */

import type { Feature, FeatureCollection, Polygon } from "geojson";
import { cameraColour, fieldOfView } from "../cameras";
import { label, t } from "../i18n";
import type { CameraOut } from "../types";

const SVG = "http://www.w3.org/2000/svg";

export interface CameraViewProperties {
  id: string;
  state: string;
}

/** A video-camera glyph (body and lens), in the marker's text colour. */
export function cameraGlyph(): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "camera-glyph");
  svg.setAttribute("aria-hidden", "true");
  const body = document.createElementNS(SVG, "rect");
  for (const [name, value] of Object.entries({ x: "2.5", y: "7", width: "13", height: "10", rx: "2" })) {
    body.setAttribute(name, value);
  }
  const lens = document.createElementNS(SVG, "path");
  lens.setAttribute("d", "M16.5 10.5 L21.5 7.5 V16.5 L16.5 13.5 Z");
  svg.append(body, lens);
  return svg;
}

/** The fields of view of the cameras that have one, each with the camera's id and colour group. */
export function cameraViewData(cameras: Iterable<CameraOut>): FeatureCollection<Polygon, CameraViewProperties> {
  const features: Feature<Polygon, CameraViewProperties>[] = [];
  for (const camera of cameras) {
    if (!camera.analysed) continue;
    const ring = fieldOfView(camera);
    if (ring === null) continue;
    features.push({
      type: "Feature",
      geometry: { type: "Polygon", coordinates: [ring] },
      properties: { id: camera.id, state: cameraColour(camera) },
    });
  }
  return { type: "FeatureCollection", features };
}

export class CameraMarkerSet {
  readonly elements = new Map<string, HTMLElement>();
  private readonly cameras = new Map<string, CameraOut>();
  private readonly onClick: (cameraId: string) => void;
  private selected: string | null = null;

  constructor(onClick: (cameraId: string) => void) {
    this.onClick = onClick;
  }

  /** Follow the list's analysed cameras (with a position): the ids added and removed. */
  update(cameras: Iterable<CameraOut>): { added: string[]; removed: string[] } {
    const seen = new Set<string>();
    const added: string[] = [];
    for (const camera of cameras) {
      if (!camera.analysed || camera.position === null) continue;
      seen.add(camera.id);
      this.cameras.set(camera.id, camera);
      let element = this.elements.get(camera.id);
      if (element === undefined) {
        element = this.create(camera.id);
        this.elements.set(camera.id, element);
        added.push(camera.id);
      }
      element.dataset.state = cameraColour(camera);
      const notch = element.querySelector<HTMLElement>(".camera-heading");
      if (notch !== null) {
        notch.hidden = camera.heading_deg === null;
        notch.style.transform = `rotate(${camera.heading_deg ?? 0}deg)`;
      }
    }
    const removed = [...this.elements.keys()].filter((id) => !seen.has(id));
    for (const id of removed) {
      this.elements.delete(id);
      this.cameras.delete(id);
    }
    this.applyLanguage();
    return { added, removed };
  }

  /** The camera's device health (an open alarm rings it red). */
  setHealth(cameraId: string, health: string | undefined): void {
    const element = this.elements.get(cameraId);
    if (element === undefined) return;
    const value = health ?? "unknown";
    if (element.dataset.health !== value) element.dataset.health = value;
  }

  select(cameraId: string | null): void {
    if (this.selected !== null) this.elements.get(this.selected)?.classList.remove("selected");
    this.selected = cameraId;
    if (cameraId !== null) this.elements.get(cameraId)?.classList.add("selected");
  }

  /** Show the markers or not (they are for zoomed-in views). */
  setVisible(visible: boolean): void {
    for (const element of this.elements.values()) element.classList.toggle("hidden", !visible);
  }

  applyLanguage(): void {
    for (const [id, element] of this.elements) {
      const camera = this.cameras.get(id);
      const state = camera?.state ?? "unknown";
      const text = `${t("camera.marker", { id })} — ${label("cameraState", state)}`;
      element.title = text;
      element.setAttribute("aria-label", text);
    }
  }

  private create(cameraId: string): HTMLElement {
    const element = document.createElement("div");
    element.className = "camera-marker";
    element.dataset.cameraId = cameraId;
    element.setAttribute("role", "button");
    element.tabIndex = 0;
    const notch = document.createElement("span");
    notch.className = "camera-heading";
    const badge = document.createElement("span");
    badge.className = "camera-badge";
    badge.append(cameraGlyph());
    element.append(notch, badge);
    element.addEventListener("click", (event) => {
      event.stopPropagation();
      this.onClick(cameraId);
    });
    element.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.onClick(cameraId);
      }
    });
    return element;
  }
}
