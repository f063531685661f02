/**
 * The picture of an alarm raised from a camera: the event that triggered it (found with `pickAlarmEvent`), its
 * annotated JPEG fetched with the token and shown from a blob: URL, and a button to the camera's live view. It
 * looks again when the alarm triggers anew. A camera that went offline shows the last picture it gave, captioned with
 * when that picture was taken.
 */

import { type ApiClient, describeFailure } from "../api";
import { alarmEventQuery, pickAlarmEvent, snapshotOf } from "../camera-events";
import { formatTime, type MessageKey, t } from "../i18n";
import type { AlarmOut, EventOut } from "../types";
import { h, text } from "./dom";

export interface AlarmSnapshotOptions {
  api: ApiClient;
  /** The camera's live view can be opened (it is analysed here). */
  canOpenLive: boolean;
  /** The picture's element id (default `alarm-snapshot-image`, the alarm card's); null for none, where several show. */
  imageId?: string | null;
  openLive: (cameraId: string) => void;
}

export class AlarmSnapshot {
  readonly element: HTMLElement;
  private readonly options: AlarmSnapshotOptions;
  private readonly image: HTMLImageElement;
  private readonly note: HTMLElement;
  private readonly caption: HTMLElement;
  private url: string | null = null;
  private loadedFor: string | null = null;
  private request = 0;
  private controller: AbortController | null = null;
  private noteKey: MessageKey | null = null;
  private noteParams: Record<string, string> = {};
  private eventTime: number | null = null;
  /** When the picture was taken, when it is older than its event (a camera's last picture before going offline). */
  private pictureTime: number | null = null;
  private eventId: string | null = null;

  constructor(options: AlarmSnapshotOptions, cameraId: string) {
    this.options = options;
    this.image = h("img", { class: "camera-snapshot-image", alt: "" });
    const imageId = options.imageId === undefined ? "alarm-snapshot-image" : options.imageId;
    if (imageId !== null) this.image.id = imageId;
    this.image.hidden = true;
    this.note = h("p", { class: "muted" });
    this.caption = h("span", { class: "camera-snapshot-time" });
    const live = options.canOpenLive
      ? text("button", "camera.openLive", { type: "button", class: "small", "data-open-camera": cameraId })
      : null;
    live?.addEventListener("click", () => options.openLive(cameraId));
    this.element = h(
      "section",
      { class: "camera-snapshot", "data-testid": "alarm-snapshot" },
      h("div", { class: "camera-snapshot-head" }, text("h3", "camera.snapshot"), live),
      this.image,
      this.caption,
      this.note,
    );
  }

  /** Look for the alarm's picture, unless already done for this trigger. */
  show(alarm: AlarmOut): void {
    const key = `${alarm.id}@${alarm.last_triggered_at}`;
    if (key === this.loadedFor) return;
    this.loadedFor = key;
    void this.load(alarm);
  }

  dispose(): void {
    this.request += 1;
    this.controller?.abort();
    if (this.url !== null) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  applyLanguage(): void {
    if (this.noteKey !== null) this.note.textContent = t(this.noteKey, this.noteParams);
    if (this.pictureTime !== null) this.caption.textContent = t("camera.lastPictureTime", { time: formatTime(this.pictureTime) });
    else this.caption.textContent = this.eventTime === null ? "" : t("camera.snapshotTime", { time: formatTime(this.eventTime) });
    if (this.eventId !== null) this.image.alt = t("camera.snapshotAlt", { id: this.eventId });
  }

  private async load(alarm: AlarmOut): Promise<void> {
    const request = ++this.request;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const { api } = this.options;
    if (this.url === null) this.setNote("camera.snapshotLoading");
    try {
      const event = pickAlarmEvent(await api.events(alarmEventQuery(alarm)), alarm);
      if (request !== this.request) return;
      if (event === null) {
        this.showPicture(null, null);
        this.setNote("camera.noSnapshot");
        return;
      }
      const blob = await api.snapshot(alarm.key.source, snapshotOf(event), controller.signal);
      if (request !== this.request) return;
      this.showPicture(blob, event);
      this.setNote(null);
    } catch (error) {
      if (request !== this.request || controller.signal.aborted) return;
      this.setNote("camera.snapshotFailed", { detail: describeFailure(error) });
    }
  }

  private showPicture(blob: Blob | null, event: EventOut | null): void {
    const eventId = event === null ? null : event.event_id;
    const previous = this.url;
    this.url = blob === null ? null : URL.createObjectURL(blob);
    if (this.url === null) this.image.removeAttribute("src");
    else this.image.src = this.url;
    this.image.hidden = this.url === null;
    if (eventId === null) delete this.image.dataset.eventId;
    else this.image.dataset.eventId = eventId;
    if (previous !== null) URL.revokeObjectURL(previous);
    this.eventTime = event === null ? null : event.ts;
    const takenAt = event === null ? undefined : event.attributes.snapshot_ts;
    this.pictureTime = typeof takenAt === "number" ? takenAt : null;
    this.eventId = eventId;
    this.applyLanguage();
  }

  private setNote(key: MessageKey | null, params: Record<string, string> = {}): void {
    this.noteKey = key;
    this.noteParams = params;
    this.note.hidden = key === null;
    this.note.classList.toggle("error", key === "camera.snapshotFailed");
    this.applyLanguage();
  }
}
