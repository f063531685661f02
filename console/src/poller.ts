/**
 * Polling without overlap: `task` runs at once when started and then every `intervalMs` after the previous run
 * ended, never twice at a time; `now()` asks for a run as soon as the current one ends. For the REST data the live
 * stream does not carry (supervision figures); never started, it runs `task` on demand only (`now()`), one at a time
 * (the incident drawer reloads its incident so when the stream says it changed).
 */

export type Timers = {
  set: (callback: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
};

const BROWSER_TIMERS: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Poller {
  private readonly task: () => Promise<void>;
  private readonly timers: Timers;
  private intervalMs: number;
  private timer: unknown = null;
  private running = false;
  private again = false;
  private active = false;

  constructor(task: () => Promise<void>, intervalMs: number, timers: Timers = BROWSER_TIMERS) {
    this.task = task;
    this.intervalMs = intervalMs;
    this.timers = timers;
  }

  get started(): boolean {
    return this.active;
  }

  /** Run now and then every `intervalMs` (already started: just change the interval, and run now). */
  start(intervalMs: number = this.intervalMs): void {
    this.intervalMs = intervalMs;
    this.active = true;
    this.now();
  }

  stop(): void {
    this.active = false;
    this.again = false;
    this.cancelTimer();
  }

  /** Run as soon as possible (after the run in progress, if any), then resume the interval. */
  now(): Promise<void> {
    if (this.running) {
      this.again = true;
      return Promise.resolve();
    }
    this.cancelTimer();
    return this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      await this.task();
    } catch (error) {
      console.warn("a polled request failed", error);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      return this.run();
    }
    if (this.active) this.timer = this.timers.set(() => void this.now(), this.intervalMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }
}
