/**
 * The pictures of an incident: for each of its alarms raised from a camera, the annotated picture of the event that
 * triggered it (or, for a camera that went offline, the last picture it gave), with the way to the camera's live
 * view — the evidence an operator looks at first. Each picture is an `AlarmSnapshot`, kept while its alarm stays in
 * the incident and reloaded only when the alarm triggers anew.
 */

import { compareAlarms } from "../alarms";
import type { ApiClient } from "../api";
import type { CameraDirectory } from "../cameras";
import { label, t } from "../i18n";
import type { Registry } from "../registry";
import type { AlarmOut } from "../types";
import { AlarmSnapshot } from "./alarm-snapshot";
import { h, replaceChildren } from "./dom";

export interface IncidentPicturesOptions {
  api: ApiClient;
  registry: Registry;
  cameras: CameraDirectory;
  /** Open the camera's card with its live view. */
  openCamera: (cameraId: string) => void;
}

/** Whether the alarm was raised from a camera: an analysed camera, or a registered device of kind camera. */
export function fromCamera(alarm: AlarmOut, cameras: CameraDirectory, registry: Registry): boolean {
  const source = alarm.key.source;
  return cameras.get(source) !== undefined || registry.devices.get(source)?.kind === "camera";
}

export class IncidentPictures {
  readonly element: HTMLElement;
  private readonly options: IncidentPicturesOptions;
  private readonly heading: HTMLElement;
  private readonly list: HTMLElement;
  private readonly pictures = new Map<string, AlarmSnapshot>();

  constructor(options: IncidentPicturesOptions) {
    this.options = options;
    this.heading = h("h3", {});
    this.list = h("div", { class: "incident-pictures" });
    this.element = h("section", { class: "incident-section", "data-testid": "incident-pictures" }, h("div", { class: "section-head" }, this.heading), this.list);
    this.element.hidden = true;
  }

  /** Show the pictures of these alarms (those from cameras), newest trigger reloaded, gone alarms dropped. */
  update(alarms: readonly AlarmOut[]): void {
    const { cameras, registry } = this.options;
    const shown = [...alarms].filter((alarm) => fromCamera(alarm, cameras, registry)).sort(compareAlarms);
    for (const [id, picture] of this.pictures) {
      if (shown.some((alarm) => alarm.id === id)) continue;
      picture.dispose();
      this.pictures.delete(id);
    }
    const items = shown.map((alarm) => {
      let picture = this.pictures.get(alarm.id);
      if (picture === undefined) {
        picture = new AlarmSnapshot(
          {
            api: this.options.api,
            canOpenLive: cameras.get(alarm.key.source)?.analysed === true,
            imageId: null,
            openLive: (cameraId) => this.options.openCamera(cameraId),
          },
          alarm.key.source,
        );
        this.pictures.set(alarm.id, picture);
      }
      picture.show(alarm);
      picture.applyLanguage();
      return h(
        "figure",
        { class: "incident-picture", "data-picture-alarm": alarm.id },
        h("figcaption", {}, `${label("alarmType", alarm.key.type)} · ${alarm.key.source}`),
        picture.element,
      );
    });
    this.heading.textContent = t("incident.pictures", { n: items.length });
    replaceChildren(this.list, ...items);
    this.element.hidden = items.length === 0;
  }

  /** Forget every picture (another incident is shown, or the drawer closed). */
  clear(): void {
    for (const picture of this.pictures.values()) picture.dispose();
    this.pictures.clear();
    replaceChildren(this.list);
    this.element.hidden = true;
  }
}
