"""The video worker: each camera's frames analysed in a thread of its own (source → motion gate → detector →
tracker → analytics), what they give published on the bus like any sensor's: events (with the annotated picture
kept under `<data_dir>/snapshots`) on `beffroi.events.<tenant>.<site>`, counts as readings on
`beffroi.readings.<tenant>.<site>` — people in view (`people_count`), per camera zone (`zone_people.<zone>`,
`zone_density.<zone>`, with the scenario zone it is linked to), per line (`line_in.<line>`, `line_out.<line>`) —
and the camera's health (`online`, `fps`); a source that goes offline raises a `camera_offline` event, its
return a `camera_online` one; a `camera_offline` event carries the last picture the camera gave before it went
(attributes `snapshot` and `snapshot_ts`), so the operator sees what the camera saw last. Cameras are registered
as devices of kind camera, so the engine and the map know them. The newest annotated frames go to the API's camera
hub for the live view (same process).

Nothing acknowledged is lost: bus messages carry ids (an event's id, a batch's id), and a publication that fails
is kept and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from beffroi.api.camera_hub import CameraHub, CameraInfo, CameraState
from beffroi.bus.base import Bus
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.observations import AttributeValue, Event, Position, Reading, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind
from beffroi.errors import BeffroiError, ConfigError
from beffroi.sim.scene import Scene
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store
from beffroi.video.camera import CameraConfig, load_camera
from beffroi.video.frames import Frame
from beffroi.video.pipeline import CameraPipeline, FrameResult
from beffroi.video.snapshot import annotate, encode_jpeg
from beffroi.video.sources import SourceState, SourceStatus, open_camera
from beffroi.video.tracks import TrackState
from beffroi.workers.base import Health
from beffroi.workers.video_scenes import build_scene, scene_frames, simulated_camera

log = logging.getLogger("beffroi.workers.video")

RETRY_S = 2.0
CAMERA_METRICS = ["online", "fps", "people_count"]


@dataclass(slots=True)
class CameraPlan:
    """A camera and how to get its frames (a generator until `stop` is set)."""

    camera: CameraConfig
    frames: Callable[[threading.Event, Callable[[SourceStatus], None]], Iterator[Frame]]


@dataclass(slots=True)
class _Counters:
    frames: int = 0
    events: int = 0
    errors: int = 0
    dropped: int = 0
    fps: float = 0.0
    window: list[float] = field(default_factory=list)


class VideoWorker:
    """Runs the configured cameras (and the demo's simulated ones) until stopped."""

    name = "video"

    def __init__(
        self,
        config: BeffroiConfig,
        bus: Bus,
        store: Store,
        hub: CameraHub | None = None,
        data_clock: Callable[[], float] | None = None,
    ) -> None:
        """`data_clock` is the time the rest of the system's data carries (an accelerated simulation's), when it is
        not the wall clock: what the cameras give is stamped with it; their analysis keeps the wall clock."""
        self._config = config
        self._data_clock = data_clock
        self._bus = bus
        self._store = store
        self.hub = hub or CameraHub()
        self._snapshots = SnapshotStore(config.data_dir / "snapshots")
        self._plans: list[CameraPlan] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pending: list[tuple[str, bytes, str | None]] = []
        self._wake = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._counters: dict[str, _Counters] = {}
        self._last_pictures: dict[str, tuple[bytes, float]] = {}
        """Per camera, its newest annotated picture (JPEG) and when it was taken: what an offline event shows."""
        self.published = 0

    @property
    def cameras(self) -> list[CameraConfig]:
        """The cameras analysed."""
        return [plan.camera for plan in self._plans]

    async def start(self) -> None:
        """Load the cameras (a bad CAMERA.toml fails here, naming its key), register them, start their threads."""
        self._plans = await asyncio.to_thread(self._load_plans)
        devices = [_device(plan.camera) for plan in self._plans]
        registered = [device for device in devices if device is not None]
        if registered:
            await asyncio.to_thread(self._store.upsert_devices, registered)
        self._loop = asyncio.get_running_loop()
        self._publisher = asyncio.create_task(self._publish_forever(), name="video-publisher")
        for plan in self._plans:
            camera = plan.camera
            self.hub.add(_info(camera))
            self._counters[camera.id] = _Counters()
            thread = threading.Thread(target=self._run, args=(plan,), name=f"video-{camera.id}", daemon=True)
            self._threads.append(thread)
            thread.start()
        log.info("video: %d camera(s)", len(self._plans))

    async def stop(self) -> None:
        """Stop the cameras, then publish what they gave (what cannot be published is logged)."""
        self._stop.set()
        for thread in self._threads:
            await asyncio.to_thread(thread.join, 10.0)
        self._threads = []
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
        if self._pending:
            try:
                await self._flush()
            except BeffroiError:
                log.error("video stopping with %d message(s) it could not publish", len(self._pending))

    def health(self) -> Health:
        """Cameras, frames analysed, events, errors and messages published."""
        totals = _Counters()
        for counters in self._counters.values():
            totals.frames += counters.frames
            totals.events += counters.events
            totals.errors += counters.errors
            totals.dropped += counters.dropped
        return {
            "cameras": len(self._plans),
            "frames_analysed": totals.frames,
            "events": totals.events,
            "frames_dropped": totals.dropped,
            "camera_errors": totals.errors,
            "messages_published": self.published,
            "messages_pending": len(self._pending),
        }

    # ----- cameras -----

    def _load_plans(self) -> list[CameraPlan]:
        video, tenant = self._config.video, self._config.tenant
        plans: list[CameraPlan] = []
        for path in video.cameras:
            camera = load_camera(path)
            if "://" not in camera.source and not Path(camera.source).is_file():
                raise ConfigError(str(path), [f"source: no video file {camera.source!r}"])
            if camera.tenant_id is None:
                camera = camera.model_copy(update={"tenant_id": tenant})
            plans.append(CameraPlan(camera, self._source_frames(camera)))
        for simulated in video.simulated:
            scene = build_scene(simulated)
            camera = simulated_camera(simulated, tenant, scene)
            plans.append(CameraPlan(camera, _scene_plan(scene)))
        return plans

    def _source_frames(
        self, camera: CameraConfig
    ) -> Callable[[threading.Event, Callable[[SourceStatus], None]], Iterator[Frame]]:
        realtime = self._config.video.realtime_files

        def frames(stop: threading.Event, on_status: Callable[[SourceStatus], None]) -> Iterator[Frame]:
            with open_camera(camera, realtime=realtime, loop=realtime, on_status=on_status) as source:
                for frame in source:
                    if stop.is_set():
                        return
                    yield Frame(frame.image, time.time(), frame.index)

        return frames

    def _run(self, plan: CameraPlan) -> None:
        """One camera's thread: analyse frames until stopped; a failure is logged and retried."""
        camera = plan.camera
        while not self._stop.is_set():
            try:
                self._analyse(plan)
            except Exception:
                self._counters[camera.id].errors += 1
                log.exception("video: camera %s failed; retrying in %.0f s", camera.id, RETRY_S)
            self._stop.wait(RETRY_S)

    def _analyse(self, plan: CameraPlan) -> None:
        camera = plan.camera
        counters = self._counters[camera.id]
        pipeline: CameraPipeline | None = None
        next_live = next_count = next_status = 0.0
        video = self._config.video
        for frame in plan.frames(self._stop, lambda status: self._on_status(camera, status)):
            if pipeline is None or (pipeline.view.width, pipeline.view.height) != (frame.width, frame.height):
                pipeline = CameraPipeline.for_frame(camera, frame)
            result = pipeline.process(frame)
            counters.frames += 1
            counters.window = [ts for ts in (*counters.window, frame.ts) if ts > frame.ts - 5.0]
            counters.fps = (len(counters.window) - 1) / max(1e-6, counters.window[-1] - counters.window[0])
            outgoing: list[tuple[str, bytes, str | None]] = []
            for event in result.events:
                counters.events += 1
                outgoing.append(self._event_message(pipeline, frame, result, event))
            stamped = self._stamped(frame.ts)
            readings = _count_readings(camera, result, stamped - frame.ts)
            if frame.ts >= next_count:
                next_count = frame.ts + video.counts_every_s
                people = sum(1 for t in result.tracks if t.state is TrackState.CONFIRMED and t.label == "person")
                readings.append(_reading(camera, "people_count", float(people), stamped))
            if frame.ts >= next_status:
                next_status = frame.ts + video.status_every_s
                readings.append(_reading(camera, "online", 1.0, stamped))
                readings.append(_reading(camera, "fps", round(counters.fps, 2), stamped))
            if readings:
                outgoing.append(_readings_message(camera, readings))
            live = None
            if frame.ts >= next_live:
                next_live = frame.ts + 1.0 / video.live_fps
                live = encode_jpeg(annotate(frame.image, pipeline.view, result.tracks, None, frame.ts))
                self._last_pictures[camera.id] = (live, frame.ts)
            self._hand_over(camera, outgoing, live, frame.ts, counters)

    def _event_message(
        self, pipeline: CameraPipeline, frame: Frame, result: FrameResult, event: object
    ) -> tuple[str, bytes, str | None]:
        from beffroi.video.analytics.base import VideoEvent

        assert isinstance(event, VideoEvent)
        camera = pipeline.camera
        tenant = camera.tenant_id or self._config.tenant
        event_id = f"{camera.id}-{uuid.uuid4().hex[:16]}"
        attributes: dict[str, AttributeValue] = {
            "analytic": event.analytic,
            "legal_basis": event.legal_basis.value,
            "camera": camera.id,
            "track_ids": ",".join(str(i) for i in event.track_ids),
        }
        if event.zone is not None:
            attributes["camera_zone"] = event.zone
        attributes.update({k: v for k, v in event.details.items() if k not in attributes})
        try:
            picture = annotate(frame.image, pipeline.view, result.tracks, event, frame.ts)
            self._snapshots.save(tenant, camera.id, event_id, encode_jpeg(picture))
            attributes["snapshot"] = event_id
        except (OSError, ValueError, BeffroiError):
            log.exception("video: the picture of event %s could not be kept", event_id)
        zone_id = _zone_id(camera, event.zone)
        domain_event = Event(
            event_id=event_id,
            tenant_id=tenant,
            type=event.type,
            source=camera.id,
            ts=self._stamped(event.ts),
            site_id=camera.site_id,
            zone_id=zone_id,
            position=_position(camera),
            confidence=event.confidence,
            attributes=attributes,
        )
        return (messages.events_subject(tenant, camera.site_id), messages.encode(domain_event), event_id)

    def _on_status(self, camera: CameraConfig, status: SourceStatus) -> None:
        """A source's status report (from its thread): the hub's state, and camera_offline/online events."""
        if status.frames_dropped:
            self._counters[camera.id].dropped = status.frames_dropped
        state = CameraState(
            status.state.value,
            status.reason,
            None if status.last_frame_age_s is None else time.time() - status.last_frame_age_s,
            status.frames_dropped,
            round(self._counters[camera.id].fps, 2),
        )
        outgoing: list[tuple[str, bytes, str | None]] = []
        if status.state in (SourceState.OFFLINE, SourceState.ONLINE) and status.attempt <= 1:
            went_offline = status.state is SourceState.OFFLINE
            if went_offline or status.frames_delivered:
                outgoing.append(self._status_event(camera, went_offline, status))
        self._call_in_loop(lambda: self._apply_state(camera, state, outgoing))

    def _status_event(self, camera: CameraConfig, offline: bool, status: SourceStatus) -> tuple[str, bytes, str | None]:
        tenant = camera.tenant_id or self._config.tenant
        kind = "camera_offline" if offline else "camera_online"
        event_id = f"{camera.id}-{kind}-{int(status.at * 1000)}"
        attributes: dict[str, AttributeValue] = {"camera": camera.id, "source_state": status.state.value}
        if status.reason:
            attributes["reason"] = status.reason
        if offline:
            attributes.update(self._last_picture(camera, event_id))
        at = self._stamped(status.at)
        event = Event(event_id, tenant, kind, camera.id, at, camera.site_id, None, _position(camera), 1.0, attributes)
        readings = [_reading(camera, "online", 0.0 if offline else 1.0, at)]
        return_batch = _readings_message(camera, readings)
        self._call_in_loop(lambda: self._queue([return_batch]))
        return (messages.events_subject(tenant, camera.site_id), messages.encode(event), event_id)

    def _last_picture(self, camera: CameraConfig, event_id: str) -> dict[str, AttributeValue]:
        """The camera's last picture kept as the event's snapshot: its attributes (none when it never gave one)."""
        last = self._last_pictures.get(camera.id)
        if last is None:
            return {}
        jpeg, taken_at = last
        try:
            self._snapshots.save(camera.tenant_id or self._config.tenant, camera.id, event_id, jpeg)
        except (OSError, ValueError, BeffroiError):
            log.exception("video: the last picture of camera %s could not be kept", camera.id)
            return {}
        return {"snapshot": event_id, "snapshot_ts": self._stamped(taken_at)}

    def _stamped(self, wall_ts: float) -> float:
        """A frame's wall-clock time as the data's time (the same, unless a data clock is given)."""
        if self._data_clock is None:
            return wall_ts
        return self._data_clock() - (time.time() - wall_ts)

    # ----- hand-over to the event loop, and publication -----

    def _call_in_loop(self, action: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(action)

    def _hand_over(
        self,
        camera: CameraConfig,
        outgoing: list[tuple[str, bytes, str | None]],
        live: bytes | None,
        ts: float,
        counters: _Counters,
    ) -> None:
        tenant = camera.tenant_id or self._config.tenant

        def deliver() -> None:
            if live is not None:
                self.hub.put_frame(tenant, camera.id, live, ts)
                found = self.hub.get(tenant, camera.id)
                if found is not None and found[1].state in ("connecting", "online"):
                    state = CameraState("online", None, ts, counters.dropped, round(counters.fps, 2))
                    self.hub.set_state(tenant, camera.id, state)
            self._queue(outgoing)

        self._call_in_loop(deliver)

    def _apply_state(
        self, camera: CameraConfig, state: CameraState, outgoing: list[tuple[str, bytes, str | None]]
    ) -> None:
        self.hub.set_state(camera.tenant_id or self._config.tenant, camera.id, state)
        self._queue(outgoing)

    def _queue(self, outgoing: list[tuple[str, bytes, str | None]]) -> None:
        if outgoing:
            self._pending.extend(outgoing)
            self._wake.set()

    async def _publish_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._flush()
            except BeffroiError:
                log.warning("video: bus unavailable, %d message(s) kept; retrying", len(self._pending))
                await asyncio.sleep(RETRY_S)
                self._wake.set()

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[:500]
            await self._bus.publish_many(batch)
            del self._pending[: len(batch)]
            self.published += len(batch)


def _scene_plan(scene: Scene) -> Callable[[threading.Event, Callable[[SourceStatus], None]], Iterator[Frame]]:
    def frames(stop: threading.Event, _on_status: Callable[[SourceStatus], None]) -> Iterator[Frame]:
        return scene_frames(scene, stop)

    return frames


def _info(camera: CameraConfig) -> CameraInfo:
    from beffroi.video.analytics.base import registered

    specs = registered()
    return CameraInfo(
        id=camera.id,
        tenant_id=camera.tenant_id or "",
        site_id=camera.site_id,
        zone_id=next((zone.zone_id for zone in camera.zones if zone.zone_id), None),
        position=camera.position,
        heading_deg=camera.heading_deg,
        fov_deg=camera.fov_deg,
        range_m=camera.range_m,
        detector=camera.analysis.detector,
        analytics={kind: specs[kind].legal_basis.value for kind in camera.analytics if kind in specs},
    )


def _device(camera: CameraConfig) -> Device | None:
    """The camera as a registry device (needs a tenant, a site and a position)."""
    if camera.tenant_id is None or camera.site_id is None or camera.position is None:
        return None
    return Device(
        id=camera.id,
        tenant_id=camera.tenant_id,
        site_id=camera.site_id,
        kind=DeviceKind.CAMERA,
        position=Position(*camera.position),
        interval_s=30.0,
        metrics=CAMERA_METRICS,
        zone_id=next((zone.zone_id for zone in camera.zones if zone.zone_id), None),
        model=f"beffroi video ({camera.analysis.detector})",
    )


def _position(camera: CameraConfig) -> Position | None:
    return None if camera.position is None else Position(*camera.position)


def _zone_id(camera: CameraConfig, zone_name: str | None) -> str | None:
    if zone_name is not None:
        for zone in camera.zones:
            if zone.name == zone_name:
                return zone.zone_id
    return next((zone.zone_id for zone in camera.zones if zone.zone_id), None)


def _reading(camera: CameraConfig, metric: str, value: float, ts: float, zone_id: str | None = None) -> Reading:
    return Reading(
        camera.tenant_id or "",
        camera.id,
        metric,
        value,
        ts,
        camera.site_id,
        zone_id if zone_id is not None else _zone_id(camera, None),
        _position(camera),
    )


def _count_readings(camera: CameraConfig, result: FrameResult, shift_s: float) -> list[Reading]:
    """The frame's zone and line counts as readings, their times moved by `shift_s` (to the data's clock)."""
    readings: list[Reading] = []
    for count in result.zone_counts:
        zone_id, ts = _zone_id(camera, count.zone), count.ts + shift_s
        readings.append(_reading(camera, f"zone_people.{count.zone}", float(count.count), ts, zone_id))
        if count.density is not None:
            density = round(count.density, 3)
            readings.append(_reading(camera, f"zone_density.{count.zone}", density, ts, zone_id))
    for line in result.line_counts:
        ts = line.ts + shift_s
        readings.append(_reading(camera, f"line_in.{line.line}", float(line.inward), ts))
        readings.append(_reading(camera, f"line_out.{line.line}", float(line.outward), ts))
    return readings


def _readings_message(camera: CameraConfig, readings: list[Reading]) -> tuple[str, bytes, str | None]:
    tenant = camera.tenant_id or ""
    batch = ReadingBatch(f"{camera.id}-{uuid.uuid4().hex[:16]}", tenant, readings)
    return (messages.readings_subject(tenant, camera.site_id), messages.encode(batch), batch.batch_id)
