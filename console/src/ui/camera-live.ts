/**
 * A camera's live annotated view: the picture (long-polled frames turned into blob: URLs, the previous one revoked),
 * and under it how old the picture is, updated every second: "2 s ago", amber once late (> 5 s), red with the reason
 * when the camera is offline. The loop runs while the view is shown and the tab visible.
 */

import type { ApiClient } from "../api";
import { frameFreshness } from "../cameras";
import { describeFailure } from "../api";
import { formatAge, formatTime, t } from "../i18n";
import { LiveFrames, localFrameTime } from "../live-frames";
import type { CameraOut } from "../types";
import { h } from "./dom";

const TICK_MS = 1000;

export interface CameraLiveOptions {
  api: ApiClient;
  cameraId: string;
  /** The camera as last listed (its state and reason), when known. */
  camera: () => CameraOut | undefined;
}

export class CameraLiveView {
  readonly element: HTMLElement;
  private readonly options: CameraLiveOptions;
  private readonly image: HTMLImageElement;
  private readonly age: HTMLElement;
  private readonly problem: HTMLElement;
  private readonly frames: LiveFrames;
  private url: string | null = null;
  private frameAt: number | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private disposed = false;
  private readonly onVisibility = () => this.followVisibility();

  constructor(options: CameraLiveOptions) {
    this.options = options;
    this.image = h("img", { id: "camera-live-image", class: "camera-live-image", alt: "", decoding: "async" });
    this.image.hidden = true;
    this.age = h("span", { id: "camera-frame-age", class: "camera-frame-age", "data-testid": "camera-frame-age" });
    this.problem = h("p", { class: "camera-problem error" });
    this.problem.hidden = true;
    this.element = h(
      "figure",
      {
        class: "camera-live",
        "data-camera-id": options.cameraId,
        "data-freshness": "waiting",
        "data-i18n-label": "camera.liveView",
        "aria-label": t("camera.liveView"),
      },
      h("div", { class: "camera-frame" }, this.image),
      h("figcaption", {}, this.age),
      this.problem,
    );
    this.frames = new LiveFrames({
      source: options.api,
      cameraId: options.cameraId,
      onFrame: (frame) => {
        const url = URL.createObjectURL(frame.blob);
        const previous = this.url;
        this.url = url;
        this.image.src = url;
        this.image.hidden = false;
        this.image.dataset.frameNumber = String(frame.number);
        if (previous !== null) URL.revokeObjectURL(previous);
        this.frameAt = localFrameTime(frame, Date.now() / 1000);
        this.render();
      },
      onError: (error) => {
        this.problem.hidden = error === null;
        if (error !== null) this.problem.textContent = t("camera.interrupted", { detail: describeFailure(error) });
      },
    });
    this.applyLanguage();
  }

  /** Start the live view (the loop only while the tab is visible) and the age's clock. */
  start(): void {
    if (this.disposed) return;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.followVisibility();
    if (this.ticker === null) this.ticker = setInterval(() => this.render(), TICK_MS);
    this.render();
  }

  /** Stop for good: the loop, the clock, and the picture's URL. */
  dispose(): void {
    this.disposed = true;
    this.frames.stop();
    document.removeEventListener("visibilitychange", this.onVisibility);
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    if (this.url !== null) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  /** Redraw the age line (the camera's state may have changed). */
  render(): void {
    const camera = this.options.camera();
    const state = camera?.state ?? null;
    const frameAt = this.frameAt ?? camera?.last_frame_at ?? null;
    const nowS = Date.now() / 1000;
    const freshness = frameFreshness(state, frameAt, nowS);
    if (this.element.dataset.freshness !== freshness) this.element.dataset.freshness = freshness;
    const ago = frameAt === null ? null : t("camera.frameAge", { age: formatAge(frameAt, nowS) });
    let text: string;
    if (freshness === "offline") {
      const reason = camera?.reason;
      text = reason ? t("camera.offline", { reason }) : t("camera.offlineNoReason");
      if (ago !== null) text = `${text} · ${ago}`;
    } else if (freshness === "waiting") {
      text = t("camera.waiting");
    } else {
      text = freshness === "stale" ? `${ago!} · ${t("camera.stale")}` : ago!;
    }
    if (this.age.textContent !== text) this.age.textContent = text;
    this.age.title = frameAt === null ? "" : formatTime(frameAt);
  }

  applyLanguage(): void {
    this.image.alt = t("camera.frameAlt", { id: this.options.cameraId });
    this.render();
  }

  private followVisibility(): void {
    if (this.disposed) return;
    if (document.visibilityState === "hidden") this.frames.stop();
    else this.frames.start();
  }
}
