"""Is the console fluid with the whole default scenario streaming? Runs `beffroi demo` (Paris 2024: 76 sites, 1,053
zones, 3,663 devices), opens the console in headless Chromium (Debian's, software rendering), logs in and measures
for each view — national map, zoomed into a stadium — the frames drawn per second, the main thread's long tasks
(> 50 ms, which an operator feels as a stutter), the live changes received and the JS heap. The baseline, in the same
run and browser, is a blank page's frame rate: what this machine's headless Chromium can draw at all. One JSON object.

  .venv/bin/python bench/console_fluidity.py --seconds 20 --speed 10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.demo import running_demo  # noqa: E402

MEASURE = """
async (seconds) => {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  try { observer.observe({ type: "longtask", buffered: false }); } catch (e) { /* not supported */ }
  let frames = 0;
  const gaps = [];
  let last = performance.now();
  const start = last;
  await new Promise((resolve) => {
    function frame(now) {
      frames += 1;
      gaps.push(now - last);
      last = now;
      if (now - start < seconds * 1000) requestAnimationFrame(frame); else resolve();
    }
    requestAnimationFrame(frame);
  });
  observer.disconnect();
  gaps.sort((a, b) => a - b);
  const elapsed = (performance.now() - start) / 1000;
  const memory = performance.memory ? performance.memory.usedJSHeapSize : null;
  return {
    seconds: elapsed,
    fps: frames / elapsed,
    frame_gap_p50_ms: gaps[Math.floor(gaps.length * 0.5)] ?? null,
    frame_gap_p99_ms: gaps[Math.floor(gaps.length * 0.99)] ?? null,
    frame_gap_max_ms: gaps[gaps.length - 1] ?? null,
    long_tasks: longTasks.length,
    long_task_ms_total: longTasks.reduce((a, b) => a + b, 0),
    js_heap_mb: memory === null ? null : memory / 1048576,
  };
}
"""


def measure(page: Page, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(MEASURE, seconds)
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time per view")
    parser.add_argument("--speed", type=float, default=10.0, help="the demo simulator's speed")
    args = parser.parse_args()

    report: dict[str, Any] = {"benchmark": "console_fluidity", "speed": args.speed, "scenario": "paris2024"}
    with (
        tempfile.TemporaryDirectory() as data,
        running_demo(Path(data), speed=args.speed) as demo,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        page = context.new_page()
        frames = {"count": 0, "bytes": 0}

        def on_socket(socket: Any) -> None:
            def on_frame(payload: str | bytes) -> None:
                frames["count"] += 1
                frames["bytes"] += len(payload)

            socket.on("framereceived", on_frame)

        page.on("websocket", on_socket)
        page.goto("about:blank")
        report["baseline_blank_page"] = measure(page, min(args.seconds, 5.0))

        page.goto(demo.url + "/")
        page.fill("#login-username", "demo")
        page.fill("#login-password", demo.passwords["demo"])
        page.click("#login-submit")
        page.wait_for_selector(".site-marker", timeout=30_000)
        page.wait_for_selector("[data-testid=live-status][data-state=live]", timeout=30_000)
        page.wait_for_timeout(3_000)

        for view, action in (("national", None), ("stade_de_france", "stade-de-france")):
            if action is not None:
                page.locator(f'.site-marker[data-site-id="{action}"]').dispatch_event("click")
                page.wait_for_timeout(4_000)
            before_count, before_bytes = frames["count"], frames["bytes"]
            result = measure(page, args.seconds)
            result["ws_frames_per_s"] = round((frames["count"] - before_count) / result["seconds"], 1)
            result["ws_kb_per_s"] = round((frames["bytes"] - before_bytes) / 1024 / result["seconds"], 1)
            report[view] = result
        report["alarm_rows"] = page.locator("[data-alarm-id]").count()
        browser.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
