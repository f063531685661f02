/**
 * What the details card says about a camera: its state (with the reason when down), place, detector, analysed rate,
 * frames dropped, where it looks, and the analytics it runs each with its legal basis; and the ways to a camera's
 * card from elsewhere (a site's cameras, a camera device's "live view" button).
 */

import { sortedAnalytics } from "../cameras";
import { formatNumber, label, type MessageKey, t } from "../i18n";
import type { Selection } from "../map/view";
import type { Registry } from "../registry";
import type { CameraOut } from "../types";
import { type Child, h } from "./dom";

export type Fact = [MessageKey, Child];

/** A link that selects something (the card's own links). */
export type LinkTo = (selection: Selection, name: string) => HTMLElement;

/** The camera's facts, the analysed ones' figures included. */
export function cameraFacts(camera: CameraOut, registry: Registry, link: LinkTo): Fact[] {
  const state = camera.state ?? "unknown";
  const zone = camera.zone_id === null ? undefined : registry.zones.get(camera.zone_id);
  const siteId = camera.site_id;
  const facts: Fact[] = [
    [
      "camera.state",
      h(
        "span",
        { class: "camera-state-chip", "data-camera-state": state },
        label("cameraState", state),
        camera.reason ? ` — ${camera.reason}` : null,
      ),
    ],
    ["details.site", siteId === null ? null : link({ kind: "site", id: siteId }, registry.sites.get(siteId)?.name ?? siteId)],
    ["details.zone", zone === undefined ? null : link({ kind: "zone", id: zone.id }, zone.name)],
  ];
  if (!camera.analysed) return facts;
  const fps = camera.analysed_fps;
  const heading = camera.heading_deg;
  facts.push(
    ["camera.detector", camera.detector === null ? null : label("detector", camera.detector)],
    ["camera.fps", fps === null ? null : t("camera.fpsValue", { n: formatNumber(fps, 1) })],
    ["camera.dropped", formatNumber(camera.frames_dropped)],
    ["camera.heading", heading === null ? null : t("camera.degrees", { n: formatNumber(heading) })],
    ["camera.range", camera.range_m === null ? null : t("unit.metres", { n: formatNumber(camera.range_m) })],
  );
  return facts;
}

/** The analytics the camera runs, each with its legal basis in words; a note for a camera not analysed here. */
export function analyticsList(camera: CameraOut): HTMLElement {
  if (!camera.analysed) return h("p", { class: "muted" }, t("camera.notAnalysed"));
  const analytics = sortedAnalytics(camera.analytics);
  if (analytics.length === 0) return h("p", { class: "muted" }, t("camera.noAnalytics"));
  return h(
    "section",
    { class: "camera-analytics" },
    h("h3", {}, t("camera.analytics")),
    h(
      "ul",
      {},
      ...analytics.map(([kind, basis]) =>
        h(
          "li",
          { "data-analytic": kind, "data-legal-basis": basis },
          h("span", { class: "analytic-name" }, label("analytic", kind)),
          h("span", { class: "legal-basis" }, label("legalBasis", basis)),
        ),
      ),
    ),
  );
}

/** A button to the camera's card (its live view). */
export function liveButton(cameraId: string, open: (selection: Selection) => void): HTMLElement {
  const button = h("button", { type: "button", class: "small", "data-open-camera": cameraId }, t("camera.openLive"));
  button.addEventListener("click", () => open({ kind: "camera", id: cameraId }));
  return h("div", { class: "details-actions" }, button);
}

/** Links to a site's analysed cameras; nothing when it has none. */
export function cameraLinks(cameras: CameraOut[], link: LinkTo): HTMLElement | null {
  if (cameras.length === 0) return null;
  return h(
    "section",
    { class: "camera-links" },
    h("h3", {}, t("details.cameras")),
    h(
      "ul",
      { class: "details-alarms" },
      ...cameras.map((camera) => h("li", { "data-camera-link": camera.id }, link({ kind: "camera", id: camera.id }, camera.id))),
    ),
  );
}
