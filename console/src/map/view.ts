/** What the application asks of a map, whichever draws it (MapLibre, or the flat fallback without WebGL). */

import type { SiteAlarmCount } from "../alarms";
import type { AlarmOut, CameraOut } from "../types";

/** The thing the operator looks at in the details panel. */
export type Selection =
  | { kind: "site"; id: string }
  | { kind: "zone"; id: string }
  | { kind: "device"; id: string }
  | { kind: "camera"; id: string }
  | { kind: "alarm"; id: string };

export interface MapView {
  /** Device health changed (null: all of it); drawn at the next batch. */
  devicesChanged(ids: Iterable<string> | null): void;
  /** Zone levels changed (null: all of them); drawn at the next batch. */
  zonesChanged(ids: Iterable<string> | null): void;
  /** The cameras (GET /api/cameras): the analysed ones drawn with their state and field of view. */
  setCameras(cameras: readonly CameraOut[]): void;
  /** The sites' alarm badges. */
  setSiteAlarms(counts: Map<string, SiteAlarmCount>): void;
  /** Draw the eye to a new alarm where it is. */
  pulse(alarm: AlarmOut): void;
  /** Move to and highlight the selection (null: no highlight). */
  focus(selection: Selection | null, move: boolean): void;
  applyLanguage(): void;
  destroy(): void;
}

/** True when the browser can give MapLibre a WebGL context. */
export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement("canvas");
    return (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) !== null;
  } catch {
    return false;
  }
}

/** How long a new alarm's pulse shows. */
export const PULSE_MS = 6000;
/** At most this many pulses at once (a burst of alarms must not flood the map). */
export const MAX_PULSES = 24;
