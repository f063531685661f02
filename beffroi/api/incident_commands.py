"""Incident actions of an API process that does not run the incident worker: sent over the bus, answered over it.

`BusIncidentCommands.execute` publishes the IncidentCommand on `beffroi.commands.incidents.<tenant>` (message id:
the command id) and waits for the worker's IncidentCommandOutcome on `beffroi.commands.incident_outcomes.<tenant>`,
read through a consumer of this process's own (starting at new messages, deleted by the server once the process
is gone), exactly as `beffroi.api.alarm_commands` does for alarms.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

import msgspec

from beffroi.api.errors import EngineTimeout, EngineUnavailable
from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.domain import messages
from beffroi.domain.messages import IncidentChange, IncidentCommand, IncidentCommandOutcome
from beffroi.domain.observations import AttributeValue
from beffroi.errors import BusError, InvalidTransition, NotFound, RejectedInput

log = logging.getLogger("beffroi.api.incident_commands")

DEFAULT_TIMEOUT_S = 10.0
CONSUMER_INACTIVE_AFTER_S = 300.0
"""The outcome consumer of a process that is gone is deleted by the server after this long."""


@dataclass(frozen=True)
class _Waiting:
    tenant_id: str
    future: asyncio.Future[IncidentCommandOutcome]


class BusIncidentCommands:
    """An IncidentCommandSink reaching the incident worker through the bus (`beffroi worker api` + `beffroi worker
    incidents`). `execute` returns the change or raises what the worker raised (NotFound, InvalidTransition,
    RejectedInput); EngineTimeout without an outcome within `timeout_s`; EngineUnavailable when the bus refused the
    command, the worker failed, or this object is not started. It runs as a worker (`name`, `start`, `stop`,
    `health`)."""

    name = "incident-commands"

    def __init__(self, bus: Bus, *, timeout_s: float = DEFAULT_TIMEOUT_S, consumer_name: str | None = None) -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 (got {timeout_s!r})")
        self._bus = bus
        self._timeout_s = timeout_s
        self.consumer_name = consumer_name or f"api-incident-outcomes-{uuid.uuid4().hex}"
        self._waiting: dict[str, _Waiting] = {}
        self._subscription: Subscription | None = None
        self.answered = 0
        self.timed_out = 0

    async def start(self) -> None:
        """Subscribe to the outcomes; from here on every outcome the worker publishes reaches this process."""
        if self._subscription is not None:
            return
        options = ConsumerOptions(deliver_new_only=True, inactive_after_s=CONSUMER_INACTIVE_AFTER_S)
        self._subscription = await self._bus.subscribe(
            messages.ALL_INCIDENT_COMMAND_OUTCOMES, self.consumer_name, self._on_outcome, options
        )

    async def stop(self) -> None:
        """Stop reading outcomes; requests still waiting fail with EngineUnavailable."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.stop()
        waiting, self._waiting = self._waiting, {}
        for item in waiting.values():
            if not item.future.done():
                item.future.set_exception(EngineUnavailable("the API is stopping: the command's outcome is unknown"))

    def health(self) -> dict[str, AttributeValue]:
        """Commands waiting for their outcome, and the counts of those answered and timed out so far."""
        return {"waiting": len(self._waiting), "answered": self.answered, "timed_out": self.timed_out}

    async def execute(self, command: IncidentCommand) -> IncidentChange:
        """Send the command to the incident worker and return the change it made (or raise what it refused with)."""
        if self._subscription is None:
            raise EngineUnavailable("incident commands over the bus are not started in this API process")
        if command.command_id in self._waiting:
            raise ValueError(f"command {command.command_id!r} is already waiting for its outcome")
        future: asyncio.Future[IncidentCommandOutcome] = asyncio.get_running_loop().create_future()
        self._waiting[command.command_id] = _Waiting(command.tenant_id, future)
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._bus.publish(
                    messages.incident_commands_subject(command.tenant_id),
                    messages.encode(command),
                    msg_id=command.command_id,
                )
                outcome = await future
        except TimeoutError:
            self.timed_out += 1
            raise EngineTimeout(
                f"the incident worker did not answer within {self._timeout_s:g} s (is `beffroi worker incidents` "
                "running?); the action may still be applied when it catches up"
            ) from None
        except BusError as error:
            raise EngineUnavailable(f"the bus did not take the command: {error}") from error
        finally:
            self._waiting.pop(command.command_id, None)
        self.answered += 1
        refusal = outcome.error()
        if refusal is None and outcome.change is not None:
            return outcome.change
        if isinstance(refusal, NotFound | InvalidTransition | RejectedInput):
            raise refusal
        raise EngineUnavailable(f"the incident worker could not apply the command: {refusal}")

    async def _on_outcome(self, message: BusMessage) -> None:
        try:
            outcome = messages.decode(message.data, IncidentCommandOutcome)
        except msgspec.DecodeError as error:
            log.warning("undecodable incident command outcome on %s skipped: %s", message.subject, error)
            return
        waiting = self._waiting.get(outcome.command_id)
        if waiting is None or waiting.future.done():
            return  # another API process's command, or one that timed out here
        if waiting.tenant_id != outcome.tenant_id:
            log.warning("outcome of incident command %s names another tenant; ignored", outcome.command_id)
            return
        waiting.future.set_result(outcome)
