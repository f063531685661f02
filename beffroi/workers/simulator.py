"""The simulator worker: runs the built-in simulator and delivers its messages in-process or over MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from beffroi.config import BeffroiConfig
from beffroi.ingest.gateway import Gateway
from beffroi.sim.mqtt_publisher import MqttPublisher
from beffroi.sim.scenario import Scenario, load_scenario
from beffroi.sim.simulator import Simulator
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.simulator")

Publish = Callable[[str, bytes], Awaitable[None]]


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


class SimulatorWorker:
    """Runs the simulator of the configured scenario until stopped (or for `duration_s`)."""

    name = "sim"

    def __init__(
        self,
        config: BeffroiConfig,
        *,
        gateway: Gateway | None = None,
        scenario: Scenario | None = None,
        duration_s: float | None = None,
    ) -> None:
        self._config = config
        self._gateway = gateway
        self._scenario = scenario
        self._duration_s = duration_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._delivery: InProcessDelivery | None = None
        self._publisher: MqttPublisher | None = None
        self.simulator: Simulator | None = None
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
        if self._delivery is not None:
            await self._delivery.drain()
        if self._publisher is not None:
            await self._publisher.stop()

    def health(self) -> Health:
        """How many messages the simulator has published."""
        return {"published": self.published}
