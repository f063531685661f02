import { describe, expect, it } from "vitest";
import { Poller, type Timers } from "../src/poller";

/** Timers run by hand: `fire()` runs the pending callback, as the clock would. */
function manualTimers(): Timers & { pending: { callback: () => void; ms: number }[]; fire: () => void } {
  const pending: { callback: () => void; ms: number }[] = [];
  return {
    pending,
    set: (callback, ms) => {
      const entry = { callback, ms };
      pending.push(entry);
      return entry;
    },
    clear: (handle) => {
      const index = pending.indexOf(handle as { callback: () => void; ms: number });
      if (index >= 0) pending.splice(index, 1);
    },
    fire: () => pending.shift()?.callback(),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the poller", () => {
  it("runs at once, then every interval after each run, and stops", async () => {
    const timers = manualTimers();
    let runs = 0;
    const poller = new Poller(async () => void (runs += 1), 5000, timers);
    poller.start();
    await settle();
    expect(runs).toBe(1);
    expect(timers.pending.map((entry) => entry.ms)).toEqual([5000]);
    timers.fire();
    await settle();
    expect(runs).toBe(2);
    poller.start(30_000);
    await settle();
    expect(runs).toBe(3);
    expect(timers.pending.map((entry) => entry.ms)).toEqual([30_000]);
    poller.stop();
    expect(timers.pending).toEqual([]);
  });

  it("never runs twice at a time: a request during a run runs once after it", async () => {
    const timers = manualTimers();
    let running = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => {};
    const poller = new Poller(
      () =>
        new Promise<void>((resolve) => {
          running += 1;
          runs += 1;
          most = Math.max(most, running);
          release = () => {
            running -= 1;
            resolve();
          };
        }),
      5000,
      timers,
    );
    poller.start();
    void poller.now();
    void poller.now();
    expect(runs).toBe(1);
    release();
    await settle();
    expect(runs).toBe(2);
    release();
    await settle();
    expect(most).toBe(1);
    expect(timers.pending).toHaveLength(1);
  });

  it("keeps polling after a failed run, and runs once on demand when stopped", async () => {
    const timers = manualTimers();
    let runs = 0;
    const poller = new Poller(
      async () => {
        runs += 1;
        throw new Error("down");
      },
      5000,
      timers,
    );
    const warn = console.warn;
    console.warn = () => {};
    try {
      poller.start();
      await settle();
      expect(timers.pending).toHaveLength(1);
      poller.stop();
      await poller.now();
      expect(runs).toBe(2);
      expect(timers.pending).toHaveLength(0);
    } finally {
      console.warn = warn;
    }
  });

  it("never started, runs only on demand, one at a time, and sets no timer (the incident drawer's reload)", async () => {
    const timers = manualTimers();
    let runs = 0;
    let release: () => void = () => {};
    const loader = new Poller(
      () =>
        new Promise<void>((resolve) => {
          runs += 1;
          release = resolve;
        }),
      0,
      timers,
    );
    void loader.now();
    void loader.now(); // a change arrives while loading: one more load after this one
    void loader.now();
    expect(runs).toBe(1);
    release();
    await settle();
    expect(runs).toBe(2);
    release();
    await settle();
    expect(runs).toBe(2);
    expect(timers.pending).toEqual([]);
  });
});
