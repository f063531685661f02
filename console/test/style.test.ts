import { describe, expect, it } from "vitest";
import { graticule, LAYER, offlineStyle, overlayLayers, overlaySources, SOURCE } from "../src/map/style";

describe("the offline style", () => {
  const style = offlineStyle();
  const text = JSON.stringify(style);

  it("needs nothing from the network: no tiles, glyphs, sprites or URLs", () => {
    expect(style.version).toBe(8);
    expect(style.glyphs).toBeUndefined();
    expect(style.sprite).toBeUndefined();
    expect(text).not.toMatch(/https?:\/\//);
    for (const source of Object.values(style.sources)) expect(source.type).toBe("geojson");
  });

  it("has no symbol layer (no glyphs offline)", () => {
    expect(style.layers.filter((layer) => layer.type === "symbol")).toEqual([]);
  });

  it("draws a background, the graticule, then our overlay in order", () => {
    const ids = style.layers.map((layer) => layer.id);
    expect(ids.slice(0, 2)).toEqual([LAYER.background, LAYER.graticule]);
    expect(ids.slice(2)).toEqual(overlayLayers().map((layer) => layer.id));
    expect(ids.indexOf(LAYER.zoneFill)).toBeLessThan(ids.indexOf(LAYER.devices));
  });

  it("colours zones by their feature-state level, keyed by the zone id", () => {
    const zones = style.sources[SOURCE.zones];
    expect(zones).toMatchObject({ type: "geojson", promoteId: "id" });
    const fill = style.layers.find((layer) => layer.id === LAYER.zoneFill);
    expect(JSON.stringify(fill)).toContain('["feature-state","level"]');
  });

  it("clusters devices and colours them by health", () => {
    expect(overlaySources()[SOURCE.devices]).toMatchObject({ type: "geojson", cluster: true });
    const points = style.layers.find((layer) => layer.id === LAYER.devices);
    const paint = JSON.stringify(points);
    for (const health of ["ok", "silent", "low_battery", "in_alarm"]) expect(paint).toContain(`"${health}"`);
  });

  it("uses only sources it declares", () => {
    for (const layer of style.layers) {
      if ("source" in layer) expect(style.sources, layer.id).toHaveProperty(layer.source as string);
    }
  });
});

describe("graticule", () => {
  it("draws meridians and parallels at the step", () => {
    const lines = graticule(10);
    expect(lines.features).toHaveLength(37 + 17);
    expect(lines.features[0]!.geometry.coordinates[0]).toEqual([-180, -85]);
  });
});
