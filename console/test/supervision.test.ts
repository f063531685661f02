import { describe, expect, it } from "vitest";
import {
  per10Minutes,
  ratePercent,
  rateLevel,
  skipNotice,
  sortDeskRates,
  sortSiteRates,
} from "../src/supervision";
import { timelineEntry } from "./fixtures";

describe("alarm rates", () => {
  it("reads counts per 10 minutes whatever the window", () => {
    expect(per10Minutes(6, 600)).toBe(6);
    expect(per10Minutes(6, 300)).toBe(12);
    expect(per10Minutes(6, 0)).toBe(6);
  });

  it("grades a desk's load the ISA-18.2 way, and trusts the server's flood flag", () => {
    expect(rateLevel(1, 600)).toBe("normal");
    expect(rateLevel(2, 600)).toBe("busy");
    expect(rateLevel(10, 600)).toBe("busy");
    expect(rateLevel(11, 600)).toBe("flood");
    expect(rateLevel(6, 300)).toBe("flood");
    expect(rateLevel(0, 600, true)).toBe("flood");
  });

  it("puts flooding desks first, then the busiest", () => {
    const desks = [
      { desk: "b", alarms_in_window: 3, peak: 4, flooding: false, floods: 0 },
      { desk: "a", alarms_in_window: 3, peak: 4, flooding: false, floods: 0 },
      { desk: "quiet", alarms_in_window: 0, peak: 12, flooding: false, floods: 1 },
      { desk: "flood", alarms_in_window: 2, peak: 14, flooding: true, floods: 2 },
      { desk: "busy", alarms_in_window: 9, peak: 9, flooding: false, floods: 0 },
    ];
    expect(sortDeskRates(desks).map((desk) => desk.desk)).toEqual(["flood", "busy", "a", "b", "quiet"]);
  });

  it("puts the busiest sites first, leaving out those without any alarm", () => {
    const sites = [
      { site_id: "s0", alarms_in_window: 0, peak: 0 },
      { site_id: "s2", alarms_in_window: 1, peak: 1 },
      { site_id: "s1", alarms_in_window: 1, peak: 5 },
      { site_id: "s3", alarms_in_window: 4, peak: 4 },
    ];
    expect(sortSiteRates(sites).map((site) => site.site_id)).toEqual(["s3", "s1", "s2"]);
  });
});

describe("false-alarm rates and notifications", () => {
  it("shows rates as whole percentages, none before any disposition", () => {
    expect(ratePercent(0.333)).toBe(33);
    expect(ratePercent(1)).toBe(100);
    expect(ratePercent(null)).toBeNull();
  });

  it("reads a skipped step's notification from its data", () => {
    const entry = timelineEntry({
      id: "n1",
      kind: "supervisor_notified",
      text: "bob skipped step verify of incident i1 (Fire): on site",
      data: { procedure: "fire", step_id: "verify", required: true, justification: "on site" },
    });
    expect(skipNotice(entry)).toEqual({ stepId: "verify", justification: "on site", required: true, procedure: "fire" });
    expect(skipNotice(timelineEntry({ id: "n2", text: "free text" }))).toEqual({
      stepId: null,
      justification: "free text",
      required: null,
      procedure: null,
    });
  });
});
