"""Composition root: builds every worker and the API from the config, starts and stops them in one readable order.

Start order: store (migrated) → registry → bus → recorder → engine → incidents (→ webhooks) → gateway → video →
crowd → mobile (when `mobile.enabled`) → live feed → API → simulator. Stop order is the reverse, so nothing upstream
produces while something downstream has stopped consuming. The live feed (the hub behind the API's `/api/live`
stream, fed from the bus) is part of the `api` component: it runs wherever the API does, so an API process always
has the bus. The webhook worker (incident changes to the `[[webhooks.endpoints]]`) is part of the `incidents`
component, started after the incident worker when endpoints are configured.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Sequence

from beffroi.api.alarm_commands import BusAlarmCommands
from beffroi.api.camera_hub import CameraHub
from beffroi.api.console import ConsoleSettings
from beffroi.api.context import AlarmCommandSink
from beffroi.api.incident_commands import BusIncidentCommands
from beffroi.api.live.hub import LiveHub
from beffroi.api.routers.incidents import IncidentCommandSink
from beffroi.api.routers.zone_mobile import use_mobile_privacy
from beffroi.bus.base import Bus, create_bus
from beffroi.bus.namespaced import NamespacedBus
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.observations import Event
from beffroi.engine.desks import OperatorDesk
from beffroi.sim.scenario import Scenario
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store
from beffroi.workers.api import ApiWorker, auth_settings_from
from beffroi.workers.base import Health, Worker
from beffroi.workers.crowd import CrowdWorker
from beffroi.workers.engine import EngineWorker
from beffroi.workers.gateway import GatewayWorker
from beffroi.workers.incidents import IncidentWorker, incident_settings_from
from beffroi.workers.live import LiveFeedWorker
from beffroi.workers.mobile import MobileWorker
from beffroi.workers.recorder import RecorderWorker
from beffroi.workers.registry_loader import load_registry_from_scenario
from beffroi.workers.simulator import SimulatorWorker
from beffroi.workers.video import VideoWorker
from beffroi.workers.webhooks import webhook_worker_from

log = logging.getLogger("beffroi.app")

COMPONENTS = ("recorder", "engine", "incidents", "gateway", "video", "crowd", "mobile", "api", "sim")
"""Every component, in start order (`mobile` only when `mobile.enabled`)."""


def build_bus(config: BeffroiConfig) -> Bus:
    """The configured bus backend, seen through its namespace when one is set."""
    options = config.bus
    root = f"{messages.SUBJECT_ROOT}.>"
    bus = create_bus(
        options.kind,
        options.url,
        stream=options.stream,
        subjects=(f"{options.namespace}.{root}" if options.namespace else root,),
        max_age_s=options.max_age_s,
        duplicate_window_s=options.duplicate_window_s,
    )
    return NamespacedBus(bus, options.namespace) if options.namespace else bus


class Application:
    """The chosen components of Beffroi wired together in one process."""

    def __init__(
        self,
        config: BeffroiConfig,
        components: Sequence[str] = COMPONENTS,
        *,
        load_registry: bool = True,
        scenario: Scenario | None = None,
        sim_duration_s: float | None = None,
    ) -> None:
        unknown = set(components) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown component(s) {sorted(unknown)}; known: {list(COMPONENTS)}")
        self.config = config
        self.components = [
            name for name in COMPONENTS if name in components and (name != "mobile" or config.mobile.enabled)
        ]
        self._load_registry = load_registry
        self._scenario = scenario
        self._sim_duration_s = sim_duration_s
        self.store: Store | None = None
        self.bus: Bus | None = None
        self.workers: dict[str, Worker] = {}
        self._started: list[Worker] = []
        self._states: dict[str, str] = {}
        self.cameras = CameraHub()
        """The cameras the video worker of this process analyses, for the API's camera routes."""

    async def start(self) -> None:
        """Start every chosen component in order; on failure, stop what started and re-raise."""
        config = self.config
        # The simulator alone (publishing to MQTT) needs neither the store nor the bus (the bus only for its phones).
        needs_backends = any(
            name in {"recorder", "engine", "incidents", "gateway", "video", "crowd", "mobile", "api"}
            for name in self.components
        )
        try:
            if needs_backends or self._load_registry:
                self.store = Store(config.store.url, password=config.store.password.read())
                await asyncio.to_thread(self.store.migrate)
                if self._load_registry:
                    await asyncio.to_thread(load_registry_from_scenario, self.store, config.scenario)
            if needs_backends or ("sim" in self.components and config.sim.phones):
                self.bus = build_bus(config)
                await self.bus.start()
            for name in self.components:
                if name == "api":
                    await self._start_live_feed()
                    await self._start_bus_alarm_commands()
                    await self._start_bus_incident_commands()
                worker = self._build(name)
                self.workers[name] = worker
                self._states[name] = "starting"
                await worker.start()
                self._started.append(worker)
                self._states[name] = "running"
                log.info("%s started", name)
                if name == "incidents":
                    await self._start_webhooks()
        except BaseException:
            await self.stop()
            raise

    async def _start_live_feed(self) -> None:
        """Start the hub of the API's live stream and the worker feeding it (listed in `workers` as "live")."""
        if self.bus is None or self.store is None:
            raise RuntimeError("the API's live feed needs the bus and the store, which are not started")
        worker = LiveFeedWorker(self.bus, self.store, LiveHub())
        self.workers[worker.name] = worker
        await worker.start()
        self._started.append(worker)
        log.info("live feed started")

    async def _start_webhooks(self) -> None:
        """Deliver incident changes to the configured endpoints (listed in `workers` as "webhooks"); none: nothing."""
        if not self.config.webhooks.endpoints:
            return
        if self.bus is None or self.store is None:
            raise RuntimeError("the webhooks need the bus and the store, which are not started")
        worker = webhook_worker_from(self.config, self.bus, self.store)
        self.workers[worker.name] = worker
        self._states[worker.name] = "starting"
        await worker.start()
        self._started.append(worker)
        self._states[worker.name] = "running"
        log.info("webhooks started: %d endpoint(s)", len(self.config.webhooks.endpoints))

    async def _start_bus_alarm_commands(self) -> None:
        """Without an engine in this process, the API's alarm actions travel to the engine's process over the bus
        (listed in `workers` as "alarm-commands"). The in-process bus has no other process: those routes answer 503."""
        if "engine" in self.components or self.config.bus.kind == "inprocess":
            return
        if self.bus is None:
            raise RuntimeError("the API's alarm commands need the bus, which is not started")
        worker = BusAlarmCommands(self.bus)
        self.workers[worker.name] = worker
        await worker.start()
        self._started.append(worker)

    async def _start_bus_incident_commands(self) -> None:
        """Without the incident worker in this process, the API's incident actions travel to it over the bus (listed
        in `workers` as "incident-commands"). The in-process bus has no other process: those routes answer 503."""
        if "incidents" in self.components or self.config.bus.kind == "inprocess":
            return
        if self.bus is None:
            raise RuntimeError("the API's incident commands need the bus, which is not started")
        worker = BusIncidentCommands(self.bus)
        self.workers[worker.name] = worker
        await worker.start()
        self._started.append(worker)

    async def _publish_events(self, events: list[Event]) -> None:
        """Events the API takes in (imported CAP alerts) go on the bus like any source's: to the engine and the
        recorder. Their ids are the bus message ids, so importing the same alert twice stores it once."""
        if self.bus is None:
            raise RuntimeError("the bus is not started")
        await self.bus.publish_many(
            [
                (messages.events_subject(event.tenant_id, event.site_id), messages.encode(event), event.event_id)
                for event in events
            ]
        )

    def _data_clock(self) -> Callable[[], float] | None:
        """The time the simulator of this process stamps its data with, when it runs faster than the wall clock (the
        cameras' events and counts must line up with the sensors'); None otherwise."""
        if "sim" not in self.components or self.config.sim.speed == 1.0:
            return None

        def now() -> float:
            sim = self.workers.get("sim")
            simulator = sim.simulator if isinstance(sim, SimulatorWorker) else None
            if simulator is None:
                return time.time()
            clock = simulator.clock
            return clock.emitted_ts(clock.scenario_now())

        return now

    def _console_settings(self) -> ConsoleSettings | None:
        console, live = self.config.console, self.workers.get("live")
        if not console.enabled:
            return None
        return ConsoleSettings(
            basemap_style_url=console.basemap_style_url,
            default_language=console.default_language,
            default_tenant=console.default_tenant or self.config.tenant,
            heartbeat_s=live.hub.settings.heartbeat_s if isinstance(live, LiveFeedWorker) else 5.0,
        )

    def _build(self, name: str) -> Worker:
        config, bus, store = self.config, self.bus, self.store
        if name in {"recorder", "engine", "incidents", "gateway"}:
            if bus is None or store is None:
                raise RuntimeError(f"{name} needs the bus and the store, which are not started")
            if name == "recorder":
                return RecorderWorker(bus, store, batch_max_rows=config.store.batch_max_rows)
            if name == "engine":
                return EngineWorker(config, bus, store)
            if name == "incidents":
                return IncidentWorker(bus, store, incident_settings_from(config))
            return GatewayWorker(config, bus, store)
        if name == "crowd":
            if bus is None or store is None:
                raise RuntimeError("crowd needs the bus and the store, which are not started")
            return CrowdWorker(config, bus, store)
        if name == "mobile":
            if bus is None or store is None:
                raise RuntimeError("mobile needs the bus and the store, which are not started")
            return MobileWorker(config, bus, store)
        if name == "video":
            if bus is None or store is None:
                raise RuntimeError("video needs the bus and the store, which are not started")
            return VideoWorker(config, bus, store, self.cameras, self._data_clock())
        if name == "api":
            from beffroi.api.app import create_app

            gateway = self.workers.get("gateway")
            enabled = config.http_ingest.enabled
            ingest_gateway = gateway.gateway if enabled and isinstance(gateway, GatewayWorker) else None
            engine, remote_engine = self.workers.get("engine"), self.workers.get(BusAlarmCommands.name)
            alarm_commands: AlarmCommandSink | None = None
            if isinstance(engine, EngineWorker):
                alarm_commands = engine
            elif isinstance(remote_engine, BusAlarmCommands):
                alarm_commands = remote_engine
            incidents, remote_incidents = self.workers.get("incidents"), self.workers.get(BusIncidentCommands.name)
            incident_commands: IncidentCommandSink | None = None
            if isinstance(incidents, IncidentWorker):
                incident_commands = incidents
            elif isinstance(remote_incidents, BusIncidentCommands):
                incident_commands = remote_incidents
            live = self.workers.get("live")
            app = create_app(
                component_states=lambda: dict(self._states),
                gateway=ingest_gateway,
                ingest_token=config.http_ingest.token.read if ingest_gateway is not None else None,
                store=store,
                auth=auth_settings_from(config),
                alarm_commands=alarm_commands,
                live=live.hub if isinstance(live, LiveFeedWorker) else None,
                console=self._console_settings(),
                event_sink=self._publish_events,
                incident_commands=incident_commands,
                desks=[
                    OperatorDesk(desk.name, frozenset(desk.site_ids), frozenset(desk.site_kinds))
                    for desk in config.engine.desks
                ],
                cap=config.cap.export_settings(),
                cameras=self.cameras if "video" in self.components else None,
                snapshots=SnapshotStore(config.data_dir / "snapshots"),
            )
            use_mobile_privacy(app, config.mobile.k, config.mobile.epsilon)
            return ApiWorker(app, config.api.host, config.api.port)
        gateway = self.workers.get("gateway")
        return SimulatorWorker(
            config,
            gateway=gateway.gateway if isinstance(gateway, GatewayWorker) else None,
            bus=bus,
            scenario=self._scenario,
            duration_s=self._sim_duration_s,
        )

    async def stop(self) -> None:
        """Stop the started components in reverse order, then the bus and the store."""
        for worker in reversed(self._started):
            try:
                await worker.stop()
                if worker.name in self._states:
                    self._states[worker.name] = "stopped"
            except Exception:
                log.exception("%s did not stop cleanly", worker.name)
        self._started = []
        if self.bus is not None:
            await self.bus.close()
            self.bus = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def health(self) -> dict[str, Health]:
        """Every worker's counters."""
        return {name: worker.health() for name, worker in self.workers.items()}

    async def run_until_signalled(self) -> None:
        """Start, serve until SIGINT or SIGTERM, then stop cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            await self.stop()
