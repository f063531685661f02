/** The crowd picture's shapes: `GET /api/zones/{id}/crowd` (beffroi/api/schemas_crowd.py) and `GET /api/zones/{id}/mobile`. */

export interface CrowdThresholdsOut {
  posture: "standing" | "moving";
  /** People per m² from which the zone is amber, and red. */
  amber: number;
  red: number;
}

/** The fused figure at `ts` (a bucket's mean over a long span); level 0 normal, 1 amber, 2 red. */
export interface CrowdPointOut {
  ts: number;
  people: number | null;
  people_sd: number | null;
  density: number | null;
  level: number | null;
}

/** A forecast made at `ts` for `minutes` later (`at`): median people and prediction interval. */
export interface ForecastPointOut {
  ts: number;
  minutes: number;
  at: number;
  people: number;
  low: number;
  high: number;
}

export interface SourceSeriesOut {
  kind: string;
  points: { ts: number; people: number }[];
}

/** A kind of source behind the latest figure: its share of the figure's precision, what it alone says, its devices. */
export interface CrowdSourceOut {
  kind: string;
  weight: number;
  people: number | null;
  ts: number | null;
  devices: string[];
}

export interface ZoneCrowdOut {
  zone: { id: string; site_id: string; name: string; kind: string; area_m2: number; capacity: number };
  thresholds: CrowdThresholdsOut | null;
  hours: number;
  since: number | null;
  until: number | null;
  bucket_s: number | null;
  history: CrowdPointOut[];
  forecasts: ForecastPointOut[];
  source_history: SourceSeriesOut[];
  latest: CrowdPointOut | null;
  forecast: ForecastPointOut[];
  sources: CrowdSourceOut[];
}

/** A mobile-network figure: null people with `fewer_than_k` when withheld (fewer than k subscribers). */
export interface MobileCount {
  people: number | null;
  fewer_than_k: boolean;
}

export interface MobileSlotOut {
  slot_start: number;
  slot_end: number;
  operator: string;
  market_share: number;
  present: MobileCount;
  residents: MobileCount;
  visitors: MobileCount;
  day_visitors: MobileCount;
  origins: { kind: "departement" | "country"; code: string; people: number }[];
  flows_in: { zone_id: string; people: number }[];
  flows_out: { zone_id: string; people: number }[];
  /** False when the cell plan cannot tell this zone apart (its figures are not fused); absent from older servers. */
  resolvable?: boolean | null;
  /** The share (0–1) of the zone's people its cells hold for it alone. */
  resolution?: number | null;
}

export interface ZoneMobileOut {
  zone_id: string;
  /** Counts below k subscribers are withheld. */
  k: number;
  /** Differential-privacy budget of the noise added, when any. */
  epsilon: number | null;
  slots: MobileSlotOut[];
}
