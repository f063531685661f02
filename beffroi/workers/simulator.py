"""The simulator worker: runs the built-in simulator and delivers its messages in-process or over MQTT; with
`sim.phones`, the phones of those sites' crowds too, their signalling published on the bus for the mobile worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from beffroi.bus.base import Bus
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.errors import BeffroiError, ConfigError
from beffroi.ingest.gateway import Gateway
from beffroi.sim.mqtt_publisher import MqttPublisher
from beffroi.sim.phones import PhoneMinute, PhoneSimulation
from beffroi.sim.phones.simulation import RECORDS_PER_MESSAGE
from beffroi.sim.scenario import Scenario, load_scenario
from beffroi.sim.simulator import Simulator
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.simulator")

Publish = Callable[[str, bytes], Awaitable[None]]
PHONES_HORIZON_S = 30 * 86_400.0
"""How far the phones run from the simulation's start (one run: the same phones all along)."""
MAX_WAIT_S = 1.0
"""The phone feed looks at the clock (and the stop signal) at least this often."""


class InProcessDelivery:
    """Hands simulated messages to the gateway without a broker, many in flight (bounded)."""

    def __init__(self, gateway: Gateway, max_in_flight: int = 10_000) -> None:
        self._gateway = gateway
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()

    async def publish(self, topic: str, payload: bytes) -> None:
        """Start delivering one message; waits only when too many are in flight."""
        await self._slots.acquire()
        task = asyncio.create_task(self._deliver(topic, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, topic: str, payload: bytes) -> None:
        try:
            await self._gateway.handle_mqtt(topic, payload)
        except Exception:
            log.exception("in-process delivery of a simulated message failed")
        finally:
            self._slots.release()

    async def drain(self) -> None:
        """Wait for every message in flight."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class PhoneFeed:
    """The simulated phones' signalling on the bus, minute by minute on the simulator's clock: each minute is
    computed ahead (in a thread), then published once the simulation has passed its end, as SignallingRecords of
    at most `chunk` records on `beffroi.signalling.<tenant>`, timestamped like the simulator's readings.
    Only counts are logged: the records carry subscribers' identifiers."""

    def __init__(
        self,
        phones: PhoneSimulation,
        simulator: Simulator,
        bus: Bus,
        *,
        chunk: int = RECORDS_PER_MESSAGE,
    ) -> None:
        self._phones = phones
        self._simulator = simulator
        self._bus = bus
        self._chunk = chunk
        self.tenant_id = simulator.catalogue.tenant_id
        self.subject = messages.signalling_subject(self.tenant_id)
        self.minutes = 0
        self.records = 0
        self.batches = 0
        self.batches_failed = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Publish minute after minute from the simulator's position until `stop` is set."""
        start = self._simulator.position
        minutes = self._phones.minutes(start, start + PHONES_HORIZON_S)
        while not stop.is_set():
            minute = await asyncio.to_thread(_next_minute, minutes)
            if minute is None:
                return
            if not await self._wait_until(minute.start + 60.0, stop):
                return
            await self.publish(minute)

    async def _wait_until(self, t_sc: float, stop: asyncio.Event) -> bool:
        """Wait until the simulation reaches scenario time `t_sc`; False when stopped first."""
        clock = self._simulator.clock
        while not stop.is_set():
            delay = clock.wall_delay(t_sc)
            if delay <= 0:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(delay, MAX_WAIT_S))
        return False

    async def publish(self, minute: PhoneMinute) -> None:
        """Publish one minute's records in batches; a batch the bus refuses is counted and left (the estimator
        takes the feed as it comes, like an operator's probes)."""
        items = await asyncio.to_thread(self._encode, minute)  # 200k records (a whole city) take ~0.1 s
        try:
            await self._bus.publish_many(items)
        except BeffroiError as error:
            self.batches_failed += len(items)
            log.warning(
                "phones: %d signalling batch(es) of minute %.0f not published (%s)", len(items), minute.start, error
            )
            return
        self.minutes += 1
        self.batches += len(items)
        self.records += len(minute)

    def _encode(self, minute: PhoneMinute) -> list[tuple[str, bytes, str | None]]:
        batches = minute.messages(
            self.tenant_id,
            ts_offset=self._simulator.clock.offset,
            chunk=self._chunk,
            batch_prefix=f"phones-{self._simulator.run_tag}",
        )
        return [(self.subject, messages.encode(batch), batch.batch_id) for batch in batches]


def _next_minute(minutes: Iterator[PhoneMinute]) -> PhoneMinute | None:
    return next(minutes, None)


class SimulatorWorker:
    """Runs the simulator of the configured scenario until stopped (or for `duration_s`); with `sim.phones`, the
    phone feed beside it (it needs `bus`)."""

    name = "sim"

    def __init__(
        self,
        config: BeffroiConfig,
        *,
        gateway: Gateway | None = None,
        bus: Bus | None = None,
        scenario: Scenario | None = None,
        duration_s: float | None = None,
    ) -> None:
        self._config = config
        self._gateway = gateway
        self._bus = bus
        self._scenario = scenario
        self._duration_s = duration_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._delivery: InProcessDelivery | None = None
        self._publisher: MqttPublisher | None = None
        self._phone_task: asyncio.Task[None] | None = None
        self.simulator: Simulator | None = None
        self.phones: PhoneFeed | None = None
        self.published = 0
        self.finished = asyncio.Event()

    async def start(self) -> None:
        """Build the simulator and start publishing."""
        sim = self._config.sim
        scenario = self._scenario
        if scenario is None:
            scenario = await asyncio.to_thread(load_scenario, self._config.scenario)
        self.simulator = Simulator(
            scenario,
            seed=sim.seed,
            speed=sim.speed,
            sites=sim.sites,
            incidents=[incident.model_dump() for incident in sim.incidents],
            random_incidents_per_hour=sim.random_incidents_per_hour,
            ground_truth_path=sim.ground_truth_path,
            topic_prefix=sim.mqtt_topic_prefix,
        )
        if sim.phones:
            self.phones = await asyncio.to_thread(self._phone_feed, scenario, self.simulator)
        publish: Publish
        if sim.target == "mqtt":
            self._publisher = MqttPublisher(
                sim.mqtt_host, sim.mqtt_port, client_id=f"beffroi-sim-{sim.seed}", qos=sim.mqtt_qos
            )
            await self._publisher.start()
            publish = self._publisher.publish
        else:
            if self._gateway is None:
                raise ValueError("sim.target = 'inprocess' needs the gateway in the same process")
            self._delivery = InProcessDelivery(self._gateway)
            publish = self._delivery.publish
        self._task = asyncio.create_task(self._run(publish), name="simulator")
        if self.phones is not None:
            self._phone_task = asyncio.create_task(self._run_phones(self.phones), name="simulator-phones")

    def _phone_feed(self, scenario: Scenario, simulator: Simulator) -> PhoneFeed:
        """The phones of `sim.phones`' sites, on `[mobile]`'s operator and market share; ConfigError naming
        `sim.phones` when a site is not the scenario's or there is no bus to publish on."""
        sim, mobile = self._config.sim, self._config.mobile
        if self._bus is None:
            raise ConfigError("sim.phones", ["the phones publish their signalling on the bus, which is not started"])
        try:
            phones = PhoneSimulation(
                scenario, seed=sim.seed, operator=mobile.operator, market_share=mobile.market_share, sites=sim.phones
            )
        except ConfigError as error:
            raise ConfigError("sim.phones", error.problems) from None
        log.info(
            "phones: %d cells over %d site(s), %d places, signalling on %s",
            len(phones.plan.cells),
            len(sim.phones),
            phones.places.count,
            messages.signalling_subject(simulator.catalogue.tenant_id),
        )
        return PhoneFeed(phones, simulator, self._bus)

    async def _run_phones(self, feed: PhoneFeed) -> None:
        try:
            await feed.run(self._stop)
        except Exception:
            log.exception("the phone feed stopped on an error")

    async def _run(self, publish: Publish) -> None:
        assert self.simulator is not None

        async def counted(topic: str, payload: bytes) -> None:
            await publish(topic, payload)
            self.published += 1

        try:
            await self.simulator.run(counted, duration_s=self._duration_s, stop=self._stop)
        except Exception:
            log.exception("the simulator stopped on an error")
        finally:
            self.finished.set()

    async def stop(self) -> None:
        """Stop publishing and wait for what is in flight."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._phone_task is not None:
            # A minute being computed in its thread is not waited for: it would only be thrown away.
            self._phone_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._phone_task
        if self._delivery is not None:
            await self._delivery.drain()
        if self._publisher is not None:
            await self._publisher.stop()

    def health(self) -> Health:
        """How many messages the simulator has published (and the phones' minutes, records and batches)."""
        health: Health = {"published": self.published}
        if self.phones is not None:
            health.update(
                phone_minutes=self.phones.minutes,
                signalling_records=self.phones.records,
                signalling_batches=self.phones.batches,
                signalling_batches_failed=self.phones.batches_failed,
            )
        return health
