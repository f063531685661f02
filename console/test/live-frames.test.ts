import { describe, expect, it } from "vitest";
import { ApiClient, type LiveFrame } from "../src/api";
import { LiveFrames, localFrameTime } from "../src/live-frames";

type Scripted = { status: number; number?: number; time?: number; body?: string };

/**
 * A fetch that answers the scripted responses in order, then holds the next request open until it is aborted (a
 * long poll with nothing new), recording every URL, header set and signal.
 */
function scriptedFetch(script: Scripted[]) {
  const calls: { url: string; headers: Record<string, string>; signal: AbortSignal | undefined }[] = [];
  let wake: () => void = () => {};
  const fetcher = ((input: RequestInfo | URL, init?: RequestInit) => {
    const signal = init?.signal ?? undefined;
    calls.push({ url: String(input), headers: (init?.headers ?? {}) as Record<string, string>, signal });
    wake();
    const next = script.shift();
    if (next === undefined) {
      return new Promise<Response>((_, reject) => {
        signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    const headers: Record<string, string> = {};
    if (next.number !== undefined) headers["X-Frame-Number"] = String(next.number);
    if (next.time !== undefined) headers["X-Frame-Time"] = next.time.toFixed(3);
    const body = next.status === 204 ? null : (next.body ?? `jpeg-${next.number ?? ""}`);
    return Promise.resolve(new Response(body, { status: next.status, headers }));
  }) as typeof fetch;
  /** Resolves once `count` requests have been made. */
  const requests = async (count: number) => {
    while (calls.length < count) await new Promise<void>((resolve) => (wake = resolve));
  };
  return { fetcher, calls, requests };
}

function afterOf(url: string): number {
  return Number(new URL(url, "http://x").searchParams.get("after"));
}

function setUp(script: Scripted[], unauthorised: () => void = () => {}) {
  const fake = scriptedFetch(script);
  const api = new ApiClient(unauthorised, fake.fetcher);
  api.setToken("tok");
  const frames: LiveFrame[] = [];
  const errors: (unknown | null)[] = [];
  const sleeps: number[] = [];
  const loop = new LiveFrames({
    source: api,
    cameraId: "cam/1",
    onFrame: (frame) => frames.push(frame),
    onError: (error) => errors.push(error),
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { ...fake, loop, frames, errors, sleeps };
}

describe("the live view's long-poll loop", () => {
  it("asks for the newest frame, then each time for the first one newer than the last shown, with the token", async () => {
    const { loop, calls, requests, frames } = setUp([
      { status: 200, number: 7, time: 1000.25 },
      { status: 200, number: 8, time: 1000.75 },
      { status: 200, number: 9, time: 1001.25 },
    ]);
    loop.start();
    await requests(4);
    expect(calls.map((call) => call.url)).toEqual([
      "/api/cameras/cam%2F1/frame?after=0&wait_s=10",
      "/api/cameras/cam%2F1/frame?after=7&wait_s=10",
      "/api/cameras/cam%2F1/frame?after=8&wait_s=10",
      "/api/cameras/cam%2F1/frame?after=9&wait_s=10",
    ]);
    expect(calls[0]!.headers.Authorization).toBe("Bearer tok");
    expect(calls[0]!.headers.Accept).toBe("image/jpeg");
    expect(frames.map((frame) => [frame.number, frame.time])).toEqual([
      [7, 1000.25],
      [8, 1000.75],
      [9, 1001.25],
    ]);
    expect(await frames[0]!.blob.text()).toBe("jpeg-7");
    expect(loop.lastNumber).toBe(9);
    loop.stop();
  });

  it("stops when told: the request in flight is aborted and no other is made", async () => {
    const { loop, calls, requests } = setUp([{ status: 200, number: 3, time: 5 }]);
    loop.start();
    await requests(2);
    expect(loop.running).toBe(true);
    loop.stop();
    expect(calls[1]!.signal?.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toHaveLength(2);
    expect(loop.running).toBe(false);
    loop.start(); // restarted (the tab visible again): it goes on after the last frame shown
    await requests(3);
    expect(afterOf(calls[2]!.url)).toBe(3);
    loop.stop();
  });

  it("asks again after an empty answer, and for the newest after two (the server may have restarted its count)", async () => {
    const { loop, calls, requests, frames, sleeps } = setUp([
      { status: 200, number: 40, time: 1 },
      { status: 204 },
      { status: 204 },
      { status: 200, number: 40, time: 1 }, // the same frame: not shown twice
      { status: 204 },
      { status: 204 },
      { status: 200, number: 2, time: 9 }, // a restarted server's frame
    ]);
    loop.start();
    await requests(8);
    expect(calls.map((call) => afterOf(call.url))).toEqual([0, 40, 40, 0, 40, 40, 0, 2]);
    expect(frames.map((frame) => frame.number)).toEqual([40, 2]);
    // Empty answers that came back at once (no wait) are followed by a pause, not a spin.
    expect(sleeps.filter((ms) => ms === 1000)).toHaveLength(4);
    loop.stop();
  });

  it("reports failures, retries after growing pauses, and says when frames come again", async () => {
    const { loop, requests, frames, errors, sleeps } = setUp([
      { status: 500, body: JSON.stringify({ reason: "internal", detail: "boom" }) },
      { status: 404, body: JSON.stringify({ reason: "not_found", detail: "camera 'cam/1' is not analysed" }) },
      { status: 200, number: 1, time: 2 },
    ]);
    loop.start();
    await requests(4);
    expect(sleeps).toEqual([1000, 2000]);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({ status: 500, detail: "boom" });
    expect(errors[1]).toMatchObject({ status: 404, reason: "not_found" });
    expect(errors[2]).toBeNull();
    expect(frames.map((frame) => frame.number)).toEqual([1]);
    loop.stop();
  });

  it("ends on a 401 (the session is over) after telling the client once", async () => {
    let unauthorised = 0;
    const { loop, calls } = setUp([{ status: 401, body: JSON.stringify({ reason: "invalid_token", detail: "expired" }) }], () => (unauthorised += 1));
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toHaveLength(1);
    expect(unauthorised).toBe(1);
    expect(loop.running).toBe(false);
  });
});

describe("the camera routes of the REST client", () => {
  it("asks for the events of an alarm by type, site and time, and an event's picture with the token", async () => {
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      calls.push({ url, headers: (init?.headers ?? {}) as Record<string, string> });
      if (url.startsWith("/api/events")) return new Response("[]", { status: 200 });
      if (url.includes("missing")) return new Response(JSON.stringify({ reason: "not_found", detail: "no snapshot" }), { status: 404 });
      return new Response("jpeg-bytes", { status: 200, headers: { "Content-Type": "image/jpeg" } });
    }) as typeof fetch;
    const api = new ApiClient(() => {}, fetcher);
    api.setToken("tok");
    expect(await api.events({ type: "camera_intrusion", site_id: "s 1", until: 1000.001, limit: 200 })).toEqual([]);
    const blob = await api.snapshot("cam/1", "cam-1-abc");
    expect(await blob.text()).toBe("jpeg-bytes");
    await expect(api.snapshot("cam/1", "missing")).rejects.toMatchObject({ status: 404, reason: "not_found" });
    expect(calls.map((call) => call.url)).toEqual([
      "/api/events?type=camera_intrusion&site_id=s+1&until=1000.001&limit=200",
      "/api/cameras/cam%2F1/snapshots/cam-1-abc",
      "/api/cameras/cam%2F1/snapshots/missing",
    ]);
    expect(calls[1]!.headers).toMatchObject({ Authorization: "Bearer tok", Accept: "image/jpeg" });
  });
});

describe("localFrameTime", () => {
  it("moves the frame time by the server's clock offset", () => {
    // the server's clock is 100 s ahead: a frame it stamped 2 s before answering is 2 s old here
    expect(localFrameTime({ time: 1100, serverTime: 1102 }, 1002)).toBe(1000);
  });
  it("keeps the frame time when the server does not say its clock", () => {
    expect(localFrameTime({ time: 990, serverTime: Number.NaN }, 1000)).toBe(990);
  });
  it("uses now when the frame has no time", () => {
    expect(localFrameTime({ time: Number.NaN, serverTime: 5 }, 1000)).toBe(1000);
  });
});
