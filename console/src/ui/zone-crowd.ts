/**
 * The crowd part of a zone's card: the fused people of the last hours on a chart with the forecast and the
 * thresholds, the sources of the latest figure, and — where the zone has mobile-network data — the newest slot's
 * people present, residents and visitors, their origins and the flows in and out, withheld counts said as
 * "fewer than k". Loaded when the zone is opened and every 30 s while it stays open.
 */

import { ApiError, type ApiClient } from "../api";
import { largest, latestSlots, mobileCountText } from "../crowd";
import type { CrowdSourceOut, MobileSlotOut, ZoneCrowdOut, ZoneMobileOut } from "../crowd-types";
import { formatNumber, formatTime, locale } from "../i18n";
import { type CrowdKey, ct } from "../i18n/crowd";
import type { Registry } from "../registry";
import { h } from "./dom";
import { SOURCE_COLOURS, renderZoneChart } from "./zone-chart";

export const CROWD_HOURS = 3;
const REFRESH_MS = 30_000;
const TOP_ORIGINS = 5;
const TOP_FLOWS = 5;
const SOURCE_KEYS: Record<string, CrowdKey> = {
  counter: "source.counter",
  occupancy: "source.occupancy",
  video: "source.video",
  mobile: "source.mobile",
};
const MOBILE_COUNTS = ["present", "residents", "visitors", "day_visitors"] as const;

export class ZoneCrowdCard {
  readonly element: HTMLElement;
  private readonly api: ApiClient;
  private readonly registry: Registry;
  private zoneId: string | null = null;
  private request = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private crowd: ZoneCrowdOut | null = null;
  private mobile: ZoneMobileOut | null = null;
  private failure: string | null = null;

  constructor(api: ApiClient, registry: Registry) {
    this.api = api;
    this.registry = registry;
    this.element = h("section", { class: "zone-crowd", id: "zone-crowd" });
    this.element.hidden = true;
  }

  /** Show the crowd of this zone (null: hide). */
  show(zoneId: string | null): void {
    if (zoneId === this.zoneId) return;
    this.zoneId = zoneId;
    this.crowd = null;
    this.mobile = null;
    this.failure = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.element.hidden = zoneId === null;
    this.element.dataset.zone = zoneId ?? "";
    if (zoneId === null) {
      this.element.replaceChildren();
      return;
    }
    this.render();
    void this.load();
    this.timer = setInterval(() => void this.load(), REFRESH_MS);
  }

  applyLanguage(): void {
    if (this.zoneId !== null) this.render();
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async load(): Promise<void> {
    const zoneId = this.zoneId;
    if (zoneId === null) return;
    const request = ++this.request;
    const [crowd, mobile] = await Promise.allSettled([
      this.api.zoneCrowd(zoneId, CROWD_HOURS),
      this.api.zoneMobile(zoneId, CROWD_HOURS),
    ]);
    if (request !== this.request || zoneId !== this.zoneId) return;
    if (crowd.status === "fulfilled") {
      this.crowd = crowd.value;
      this.failure = null;
    } else {
      this.failure = crowd.reason instanceof Error ? crowd.reason.message : String(crowd.reason);
    }
    // 404 or any failure of the mobile figures: the zone has none to show
    this.mobile = mobile.status === "fulfilled" ? mobile.value : null;
    if (mobile.status === "rejected" && !(mobile.reason instanceof ApiError && mobile.reason.status === 404)) {
      console.warn("mobile-network figures failed", mobile.reason);
    }
    this.render();
  }

  private render(): void {
    const crowd = this.crowd;
    const parts: (Node | null)[] = [h("h3", { class: "zone-crowd-title" }, ct("card.title", { hours: CROWD_HOURS }))];
    if (crowd === null) {
      parts.push(
        this.failure === null
          ? h("p", { class: "muted" }, ct("card.loading"))
          : h("p", { class: "error" }, ct("card.failed", { detail: this.failure })),
      );
    } else {
      parts.push(...this.crowdParts(crowd));
    }
    if (crowd !== null || this.mobile !== null) parts.push(this.mobilePart(this.mobile));
    this.element.replaceChildren(...parts.filter((part): part is Node => part !== null));
  }

  private crowdParts(crowd: ZoneCrowdOut): Node[] {
    const parts: Node[] = [];
    const latest = crowd.latest;
    if (latest === null || latest.people === null) {
      parts.push(h("p", { class: "muted", id: "zone-crowd-empty" }, ct("card.noFigure")));
    } else {
      parts.push(
        h(
          "p",
          { class: "zone-crowd-latest" },
          ct("card.latest", {
            people: formatNumber(latest.people),
            sd: formatNumber(latest.people_sd ?? 0),
            density: formatNumber(latest.density ?? 0, 2),
          }),
        ),
      );
      for (const forecast of crowd.forecast) {
        parts.push(
          h(
            "p",
            { class: "zone-crowd-forecast", "data-minutes": forecast.minutes },
            ct("card.forecast", {
              minutes: forecast.minutes,
              people: formatNumber(forecast.people),
              low: formatNumber(forecast.low),
              high: formatNumber(forecast.high),
            }),
          ),
        );
      }
    }
    if (crowd.thresholds !== null) {
      const { amber, red, posture } = crowd.thresholds;
      parts.push(
        h(
          "p",
          { class: "zone-crowd-thresholds muted" },
          ct("card.thresholds", {
            amber: formatNumber(amber, 1),
            red: formatNumber(red, 1),
            amberPeople: formatNumber(amber * crowd.zone.area_m2),
            redPeople: formatNumber(red * crowd.zone.area_m2),
            posture: ct(posture === "moving" ? "posture.moving" : "posture.standing"),
          }),
        ),
      );
    }
    const chart = renderZoneChart(crowd);
    if (chart !== null) parts.push(h("figure", { class: "zone-chart-figure" }, chart, this.legend(crowd)));
    parts.push(this.sourcesPart(crowd.sources));
    return parts;
  }

  private legend(crowd: ZoneCrowdOut): HTMLElement {
    const item = (className: string, text: string, colour?: string) => {
      const swatch = h("span", { class: `swatch ${className}` });
      if (colour !== undefined) swatch.style.background = colour;
      return h("span", { class: "legend-item" }, swatch, text);
    };
    const items = [item("fused", ct("chart.fused"))];
    if (crowd.forecast.length > 0) items.push(item("forecast", ct("chart.forecast")));
    for (const series of crowd.source_history) {
      items.push(item("source", ct(SOURCE_KEYS[series.kind] ?? "source.video"), SOURCE_COLOURS[series.kind]));
    }
    return h("figcaption", { class: "zone-chart-legend" }, ...items);
  }

  private sourcesPart(sources: CrowdSourceOut[]): HTMLElement {
    const section = h("div", { class: "zone-crowd-sources", id: "zone-crowd-sources" }, h("h4", {}, ct("sources.title")));
    if (sources.length === 0) {
      section.append(h("p", { class: "muted" }, ct("sources.none")));
      return section;
    }
    const list = h("ul", {});
    for (const source of sources) {
      const swatch = h("span", { class: "swatch source" });
      swatch.style.background = SOURCE_COLOURS[source.kind] ?? "#8796a4";
      const said =
        source.people === null || source.ts === null
          ? null
          : ct("sources.says", { people: formatNumber(source.people), time: clockOf(source.ts) });
      list.append(
        h(
          "li",
          { "data-source": source.kind },
          swatch,
          h("strong", {}, ct(SOURCE_KEYS[source.kind] ?? "source.video")),
          ` · ${ct("sources.share", { share: formatNumber(source.weight * 100) })}`,
          said === null ? null : ` · ${said}`,
          source.devices.length === 0
            ? null
            : h("div", { class: "muted small" }, ct("sources.devices", { devices: source.devices.join(", ") })),
        ),
      );
    }
    section.append(list);
    return section;
  }

  private mobilePart(mobile: ZoneMobileOut | null): HTMLElement {
    const section = h("div", { class: "zone-mobile", id: "zone-mobile" }, h("h4", {}, ct("mobile.title")));
    const slots = mobile === null ? [] : latestSlots(mobile.slots);
    if (mobile === null || slots.length === 0) {
      section.append(h("p", { class: "muted", id: "zone-mobile-none" }, ct("mobile.none")));
      return section;
    }
    const privacy = [ct("mobile.privacy", { k: mobile.k })];
    if (mobile.epsilon !== null) privacy.push(ct("mobile.noise", { epsilon: formatNumber(mobile.epsilon, 2) }));
    section.append(h("p", { class: "muted small", id: "zone-mobile-privacy" }, privacy.join(" · ")));
    for (const slot of slots) section.append(this.slotPart(slot, mobile.k));
    return section;
  }

  private slotPart(slot: MobileSlotOut, k: number): HTMLElement {
    const fewer = (limit: number) => ct("mobile.fewer", { k: limit });
    const counts = h("dl", { class: "facts zone-mobile-counts" });
    for (const name of MOBILE_COUNTS) {
      const count = slot[name];
      counts.append(
        h("dt", {}, ct(`mobile.${name}`)),
        h(
          "dd",
          { "data-count": name, class: count.people === null && count.fewer_than_k ? "withheld" : "" },
          mobileCountText(count, k, (value) => formatNumber(value), fewer),
        ),
      );
    }
    const origins = largest(slot.origins, TOP_ORIGINS).map((origin) =>
      h(
        "li",
        {},
        ct(origin.kind === "country" ? "mobile.country" : "mobile.departement", { code: origin.code }),
        ` · ${formatNumber(origin.people)}`,
      ),
    );
    const flows = (entries: { zone_id: string; people: number }[]) => {
      const top = largest(entries, TOP_FLOWS);
      if (top.length === 0) return h("p", { class: "muted small" }, ct("mobile.noOrigins"));
      return h(
        "ul",
        {},
        ...top.map((flow) =>
          h("li", {}, `${this.registry.zones.get(flow.zone_id)?.name ?? flow.zone_id} · ${formatNumber(flow.people)}`),
        ),
      );
    };
    return h(
      "div",
      { class: "zone-mobile-slot", "data-operator": slot.operator },
      h(
        "p",
        { class: "small" },
        ct("mobile.slot", {
          start: clockOf(slot.slot_start),
          end: clockOf(slot.slot_end),
          operator: slot.operator,
          share: formatNumber(slot.market_share * 100),
        }),
      ),
      slot.resolvable === false
        ? h(
            "p",
            { class: "muted small zone-mobile-unresolved" },
            ct("mobile.unresolved", { share: formatNumber((slot.resolution ?? 0) * 100) }),
          )
        : null,
      counts,
      h("h5", {}, ct("mobile.origins")),
      origins.length === 0 ? h("p", { class: "muted small" }, ct("mobile.noOrigins")) : h("ul", { id: "zone-mobile-origins" }, ...origins),
      h("div", { class: "zone-mobile-flows" }, h("div", {}, h("h5", {}, ct("mobile.flowsIn")), flows(slot.flows_in)), h("div", {}, h("h5", {}, ct("mobile.flowsOut")), flows(slot.flows_out))),
    );
  }
}

/** A time of day, with the date when it is not today. */
function clockOf(ts: number): string {
  const date = new Date(ts * 1000);
  if (date.toDateString() !== new Date().toDateString()) return formatTime(ts);
  return date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
}
