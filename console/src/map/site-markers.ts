/**
 * The sites' HTML markers (one per site): a dot, the site's name (on hover at national scale, always when zoomed
 * in) and a badge with its open-alarm count coloured by the most urgent priority. HTML, because the offline map has
 * no glyphs to draw text with.
 */

import type { SiteAlarmCount } from "../alarms";
import { label, t } from "../i18n";
import type { LonLat, SiteOut } from "../types";
import { BADGE_RADIUS, dodge, estimateLabelWidth, LABEL_HEIGHT, MARKER_SPACING, type Offset, placeLabels } from "./labels";

export class SiteMarkerSet {
  readonly elements = new Map<string, HTMLElement>();
  private readonly badges = new Map<string, HTMLElement>();
  private readonly sites = new Map<string, SiteOut>();
  private readonly sizes: Map<string, number>;
  private counts = new Map<string, SiteAlarmCount>();
  /** 0 for the site with the fewest devices, up to one less than the number of sites. */
  private readonly sizeRanks = new Map<string, number>();
  private selected: string | null = null;
  private readonly flashTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** `sizes`: how big each site is (its device count), to name the big ones first where names would overlap. */
  constructor(sites: Iterable<SiteOut>, sizes: Map<string, number>, onClick: (siteId: string) => void) {
    this.sizes = sizes;
    for (const site of sites) {
      this.sites.set(site.id, site);
      const badge = document.createElement("span");
      badge.className = "alarm-count";
      badge.hidden = true;
      badge.textContent = "0";
      const name = document.createElement("span");
      name.className = "site-name";
      name.textContent = site.name;
      const dot = document.createElement("span");
      dot.className = "site-dot";
      const element = document.createElement("div");
      element.className = "site-marker";
      element.dataset.siteId = site.id;
      element.setAttribute("role", "button");
      element.tabIndex = 0;
      element.append(dot, name, badge);
      element.addEventListener("click", (event) => {
        event.stopPropagation();
        onClick(site.id);
      });
      element.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          onClick(site.id);
        }
      });
      this.elements.set(site.id, element);
      this.badges.set(site.id, badge);
    }
    const bySize = [...this.sites.keys()].sort((a, b) => (sizes.get(a) ?? 0) - (sizes.get(b) ?? 0) || (a < b ? -1 : 1));
    bySize.forEach((siteId, rank) => this.sizeRanks.set(siteId, rank + 1));
    this.setCounts(new Map());
    this.applyLanguage();
  }

  /** Update every badge: the count and the colour of the worst priority, hidden at zero. */
  setCounts(counts: Map<string, SiteAlarmCount>): void {
    this.counts = counts;
    for (const [siteId, badge] of this.badges) {
      const count = counts.get(siteId);
      const element = this.elements.get(siteId)!;
      const text = count === undefined ? "0" : String(count.count);
      if (badge.textContent !== text) badge.textContent = text;
      badge.hidden = count === undefined;
      const priority = count === undefined ? "" : String(count.worstPriority);
      if (badge.dataset.priority !== priority) badge.dataset.priority = priority;
      if (element.dataset.priority !== priority) element.dataset.priority = priority;
      // Where markers overlap: sites in alarm on top (most urgent first), then the bigger sites.
      const base = count === undefined ? 0 : 1000 * (6 - count.worstPriority);
      element.style.zIndex = String(base + (this.sizeRanks.get(siteId) ?? 0));
    }
  }

  /**
   * Lay the markers out on screen (`project` gives a position's pixel): overlapping markers moved aside, sites in
   * alarm then bigger sites keeping their place; the names that fit shown. Returns each marker's offset in pixels.
   */
  layout(
    project: (position: LonLat) => { x: number; y: number },
    viewWidth: number,
    viewHeight: number,
  ): Map<string, Offset> {
    const points = [];
    for (const site of this.sites.values()) {
      const { x, y } = project(site.position);
      const worst = this.counts.get(site.id)?.worstPriority ?? 9;
      const radius = this.counts.has(site.id) ? BADGE_RADIUS : MARKER_SPACING / 2;
      points.push({ id: site.id, x, y, radius, rank: worst * 1_000_000 - (this.sizes.get(site.id) ?? 0) });
    }
    const offsets = dodge(points, MARKER_SPACING);
    const labels = points.map((point) => {
      const [dx, dy] = offsets.get(point.id) ?? [0, 0];
      const name = this.sites.get(point.id)!.name;
      return { ...point, x: point.x + dx, y: point.y + dy, width: estimateLabelWidth(name), height: LABEL_HEIGHT };
    });
    const shown = placeLabels(labels, viewWidth, viewHeight, MARKER_SPACING);
    for (const [siteId, element] of this.elements) element.classList.toggle("labelled", shown.has(siteId));
    return offsets;
  }

  /** Make a site's marker flash for a few seconds (a new alarm there). */
  flash(siteId: string, durationMs: number): void {
    const element = this.elements.get(siteId);
    if (element === undefined) return;
    element.classList.remove("flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash");
    const timers = this.flashTimers;
    clearTimeout(timers.get(siteId));
    timers.set(
      siteId,
      setTimeout(() => {
        element.classList.remove("flash");
        timers.delete(siteId);
      }, durationMs),
    );
  }

  select(siteId: string | null): void {
    if (this.selected !== null) this.elements.get(this.selected)?.classList.remove("selected");
    this.selected = siteId;
    if (siteId !== null) this.elements.get(siteId)?.classList.add("selected");
  }

  /** The tooltip: name, kind and city in the current language. */
  applyLanguage(): void {
    for (const [siteId, element] of this.elements) {
      const site = this.sites.get(siteId)!;
      element.title = `${site.name} — ${label("siteKind", site.kind)}, ${site.city}`;
      element.setAttribute("aria-label", `${t("details.site")}: ${site.name}`);
    }
  }
}
