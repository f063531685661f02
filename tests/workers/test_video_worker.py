"""The video worker on the in-process bus and a SQLite store holding the tiny scenario, with a simulated camera
(a synthetic scene rendered live): the camera is registered as a device, its counts and health go out as readings,
its frames reach the camera hub; a clip camera plays its file (looping, at its own pace); a missing file fails at
start naming it; what the worker could not publish while the bus was down goes out once it is back; a live camera
going offline raises an event showing the last picture it gave."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from beffroi.api.camera_hub import CameraHub
from beffroi.bus.base import Bus, BusMessage
from beffroi.config import BeffroiConfig, parse_config
from beffroi.domain import messages
from beffroi.domain.observations import Event, ReadingBatch
from beffroi.domain.registry import DeviceKind
from beffroi.errors import BusError, ConfigError
from beffroi.sim.scene import gate_scene, write_clip
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store
from beffroi.workers.video import VideoWorker
from tests.bus.support import wait_until
from tests.video.mjpeg_camera import MjpegCamera

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"
TENANT, SITE = "tiny", "tiny-stadium"
CAMERA = "tiny-gate-video"


def video_config(tmp_path: Path, **video: Any) -> BeffroiConfig:
    return parse_config({"tenant": TENANT, "scenario": str(TINY), "data_dir": str(tmp_path), "video": video}, "test")


SIMULATED = {
    "id": CAMERA,
    "scene": "gate",
    "site_id": SITE,
    "zone_id": "tiny-gate",
    "position": [2.3469, 48.8189],
    "heading_deg": 90.0,
    "width": 320,
    "fps": 5.0,
}


class Feed:
    """What the worker publishes: reading batches and events."""

    def __init__(self) -> None:
        self.readings: list[ReadingBatch] = []
        self.events: list[Event] = []

    async def on_readings(self, message: BusMessage) -> None:
        self.readings.append(messages.decode(message.data, ReadingBatch))

    async def on_event(self, message: BusMessage) -> None:
        self.events.append(messages.decode(message.data, Event))

    def metrics(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for batch in self.readings:
            for reading in batch.readings:
                found.setdefault(reading.metric, []).append(reading.value)
        return found


@pytest.fixture
async def feed(bus: Bus) -> Feed:
    found = Feed()
    await bus.subscribe(messages.ALL_READINGS, "test-readings", found.on_readings)
    await bus.subscribe(messages.ALL_EVENTS, "test-events", found.on_event)
    return found


async def test_a_simulated_camera_is_registered_and_publishes_counts_health_and_frames(
    tmp_path: Path, bus: Bus, store: Store, feed: Feed
) -> None:
    hub = CameraHub()
    worker = VideoWorker(video_config(tmp_path, simulated=[SIMULATED], status_every_s=1.0), bus, store, hub)
    await worker.start()

    def state() -> str:
        return f"{worker.health()} metrics={sorted(feed.metrics())}"

    try:
        device = store.get_device(TENANT, CAMERA)
        assert (device.kind, device.site_id, device.zone_id) == (DeviceKind.CAMERA, SITE, "tiny-gate")
        await wait_until(lambda: "online" in feed.metrics() and hub.frame(TENANT, CAMERA) is not None, 20.0, state)
        await wait_until(lambda: any(m.startswith("zone_people.") for m in feed.metrics()), 20.0, state)
        metrics = feed.metrics()
        assert set(metrics["online"]) == {1.0}
        assert all(value >= 0 for value in metrics["people_count"])
        assert {"zone_people.approach", "zone_people.exit"} <= set(metrics)
        jpeg, at, _ = hub.frame(TENANT, CAMERA) or (b"", 0.0, 0)
        assert jpeg.startswith(b"\xff\xd8") and abs(at - time.time()) < 10
        [(info, camera_state)] = hub.cameras(TENANT)
        assert info.analytics == {"wrong_way": "wrong_way", "line_crossing": "counting", "zone_count": "counting"}
        assert camera_state.state == "online"
        batch = feed.readings[0]
        assert all(r.tenant_id == TENANT and r.site_id == SITE and r.device_id == CAMERA for r in batch.readings)
        assert worker.health()["frames_analysed"] > 0 and worker.health()["camera_errors"] == 0
    finally:
        await worker.stop()


async def test_a_clip_camera_plays_its_file(tmp_path: Path, bus: Bus, store: Store, feed: Feed) -> None:
    clip = write_clip(gate_scene(7, width=320, height=180, fps=5.0, duration_s=8.0), tmp_path / "gate.mp4")
    camera_file = tmp_path / "gate.camera.toml"
    text = camera_file.read_text(encoding="utf-8")
    camera_file.write_text(f'tenant_id = "{TENANT}"\nsite_id = "{SITE}"\n' + text, encoding="utf-8")
    worker = VideoWorker(video_config(tmp_path, cameras=[str(clip.camera)], status_every_s=1.0), bus, store)
    await worker.start()
    try:
        await wait_until(lambda: worker.health()["frames_analysed"] > 45, 30.0, lambda: str(worker.health()))
        assert [camera.id for camera in worker.cameras] == ["gate"]
        assert "online" in feed.metrics()  # 8 s of clip at 5 fps is 40 frames: more means it looped
    finally:
        await worker.stop()


async def test_a_camera_whose_file_is_missing_fails_at_start_naming_it(tmp_path: Path, bus: Bus, store: Store) -> None:
    camera_file = tmp_path / "cam.toml"
    camera_file.write_text('id = "cam"\nsource = "missing.mp4"\n', encoding="utf-8")
    worker = VideoWorker(video_config(tmp_path, cameras=[str(camera_file)]), bus, store)
    with pytest.raises(ConfigError, match=r"cam\.toml.*source: no video file"):
        await worker.start()
    await worker.stop()


class FlakyBus:
    """The in-process bus, refusing its next `failures` publications as an unreachable NATS would."""

    def __init__(self, bus: Bus, failures: int) -> None:
        self._bus = bus
        self.failures = failures

    async def publish_many(self, items: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise BusError("bus unreachable (injected)")
        await self._bus.publish_many(items)


async def test_what_could_not_be_published_goes_out_once_the_bus_is_back(
    tmp_path: Path, bus: Bus, store: Store, feed: Feed
) -> None:
    flaky = FlakyBus(bus, failures=2)
    worker = VideoWorker(video_config(tmp_path, simulated=[SIMULATED], status_every_s=1.0), flaky, store)  # type: ignore[arg-type]
    await worker.start()
    try:
        await wait_until(lambda: flaky.failures == 0 and "online" in feed.metrics(), 30.0, lambda: str(worker.health()))
        await wait_until(lambda: worker.health()["messages_pending"] == 0, 10.0, lambda: str(worker.health()))
        ids = [batch.batch_id for batch in feed.readings]
        assert len(ids) == len(set(ids))  # each batch once
    finally:
        await worker.stop()
    await asyncio.sleep(0)


async def test_a_camera_going_offline_raises_an_event_with_the_last_picture_it_gave(
    tmp_path: Path, bus: Bus, store: Store, feed: Feed
) -> None:
    stream = MjpegCamera(fps=10.0)
    stream.start()
    camera_file = tmp_path / "street.camera.toml"
    camera_file.write_text(
        f'id = "street"\nsource = "{stream.url}"\ntenant_id = "{TENANT}"\nsite_id = "{SITE}"\n'
        "position = [2.3469, 48.8189]\n[analysis]\nfps = 5\nwidth = 160\n",
        encoding="utf-8",
    )
    worker = VideoWorker(video_config(tmp_path, cameras=[str(camera_file)], status_every_s=1.0), bus, store)
    await worker.start()
    try:
        await wait_until(lambda: worker.health()["frames_analysed"] > 10, 20.0, lambda: str(worker.health()))
        stopped_at = time.time()
        stream.stop()
        await wait_until(lambda: any(e.type == "camera_offline" for e in feed.events), 20.0, lambda: str(feed.events))
    finally:
        await worker.stop()
    offline = next(e for e in feed.events if e.type == "camera_offline")
    assert offline.source == "street" and offline.attributes["snapshot"] == offline.event_id
    taken_at = offline.attributes["snapshot_ts"]
    assert isinstance(taken_at, float) and stopped_at - 5.0 < taken_at <= offline.ts
    picture = SnapshotStore(tmp_path / "snapshots").read(TENANT, "street", offline.event_id)
    assert picture.startswith(b"\xff\xd8")


async def test_a_camera_offline_from_the_start_has_no_picture_to_show(
    tmp_path: Path, bus: Bus, store: Store, feed: Feed
) -> None:
    camera_file = tmp_path / "dead.camera.toml"
    camera_file.write_text(
        f'id = "dead"\nsource = "http://127.0.0.1:9/none.mjpg"\ntenant_id = "{TENANT}"\nsite_id = "{SITE}"\n',
        encoding="utf-8",
    )
    worker = VideoWorker(video_config(tmp_path, cameras=[str(camera_file)]), bus, store)
    await worker.start()
    try:
        await wait_until(lambda: any(e.type == "camera_offline" for e in feed.events), 20.0, lambda: str(feed.events))
    finally:
        await worker.stop()
    offline = next(e for e in feed.events if e.type == "camera_offline")
    assert "snapshot" not in offline.attributes and offline.attributes["reason"]
