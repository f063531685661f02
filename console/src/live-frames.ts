/**
 * A camera's live view as a long-poll loop: ask for the newest annotated frame, then again and again for the first
 * one newer than the last shown (the server holds each request up to `waitS` seconds). One request at a time;
 * `stop()` cancels the one in flight. Failures are reported and retried after a growing pause; a 401 ends the loop
 * (the client has already ended the session). No DOM: the view turns the frames into pictures.
 */

import { ApiError, type LiveFrame } from "./api";

/** What the loop needs from the REST client (`ApiClient.frame`). */
export interface FrameSource {
  frame(cameraId: string, after: number, waitS: number, signal?: AbortSignal): Promise<LiveFrame | null>;
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface LiveFramesOptions {
  source: FrameSource;
  cameraId: string;
  onFrame: (frame: LiveFrame) => void;
  /** A request failed (the loop retries); `null` once frames come again. */
  onError?: (error: unknown | null) => void;
  waitS?: number;
  /** Pauses between retries, and after a suspiciously quick empty answer. */
  sleep?: Sleep;
}

/** The server's longest wait is 25 s; 10 s keeps idle connections short. */
export const WAIT_S = 10;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;
/** After this many empty answers in a row, ask for the newest frame again (the server may have restarted its count). */
const EMPTY_BEFORE_RESET = 2;
/** An empty answer faster than this did not wait: pause before asking again, not to spin. */
const QUICK_EMPTY_MS = 250;
const QUICK_EMPTY_PAUSE_MS = 1000;

const browserSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class LiveFrames {
  private readonly options: LiveFramesOptions;
  private readonly sleep: Sleep;
  private controller: AbortController | null = null;
  /** The number asked after (0: the newest). */
  private after = 0;
  /** The number of the frame last handed to `onFrame`. */
  private shown = 0;
  private failures = 0;

  constructor(options: LiveFramesOptions) {
    this.options = options;
    this.sleep = options.sleep ?? browserSleep;
  }

  get running(): boolean {
    return this.controller !== null;
  }

  /** The number of the last frame shown (0: none yet). */
  get lastNumber(): number {
    return this.shown;
  }

  /** Start the loop (already running: nothing). */
  start(): void {
    if (this.controller !== null) return;
    const controller = new AbortController();
    this.controller = controller;
    void this.loop(controller.signal);
  }

  /** Stop the loop and cancel the request in flight. */
  stop(): void {
    this.controller?.abort();
    this.controller = null;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { source, cameraId, onFrame, onError } = this.options;
    const waitS = this.options.waitS ?? WAIT_S;
    let empty = 0;
    while (!signal.aborted) {
      const askedAt = Date.now();
      let frame: LiveFrame | null;
      try {
        frame = await source.frame(cameraId, this.after, waitS, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          this.stop();
          return;
        }
        this.failures += 1;
        onError?.(error);
        await this.sleep(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1)), signal);
        continue;
      }
      if (signal.aborted) return;
      if (this.failures > 0) {
        this.failures = 0;
        onError?.(null);
      }
      if (frame === null) {
        empty += 1;
        if (empty >= EMPTY_BEFORE_RESET) {
          empty = 0;
          this.after = 0;
        }
        if (Date.now() - askedAt < QUICK_EMPTY_MS) await this.sleep(QUICK_EMPTY_PAUSE_MS, signal);
        continue;
      }
      empty = 0;
      this.after = frame.number;
      if (frame.number === this.shown) continue; // the same frame again, after asking for the newest
      this.shown = frame.number;
      onFrame(frame);
    }
  }
}

/**
 * When a frame was analysed, on this browser's clock: the server's frame time moved by the difference between the
 * server's clock (when it answered) and ours, so a PC whose clock is off still shows the right picture age.
 */
export function localFrameTime(frame: Pick<LiveFrame, "time" | "serverTime">, nowS: number): number {
  if (!Number.isFinite(frame.time)) return nowS;
  const skew = Number.isFinite(frame.serverTime) ? frame.serverTime - nowS : 0;
  return frame.time - skew;
}
