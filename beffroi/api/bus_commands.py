"""Operator actions of an API process that does not run the component owning the state (the alarm engine, the
incident worker): the command is published on the bus (message id: the command id) and the owner's outcome comes
back on the bus. Each API process reads the outcomes through a consumer of its own (named per process, starting at
new messages, deleted by the server once the process is gone) and hands each to the request waiting for it.

`BusCommandClient` is that request/answer mechanism; `BusAlarmCommands` and `BusIncidentCommands` say which
messages and subjects it works with.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec

from beffroi.api.errors import EngineTimeout, EngineUnavailable
from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.domain import messages
from beffroi.domain.observations import AttributeValue
from beffroi.errors import BeffroiError, BusError, InvalidTransition, NotFound, RejectedInput

log = logging.getLogger("beffroi.api.bus_commands")

DEFAULT_TIMEOUT_S = 10.0
CONSUMER_INACTIVE_AFTER_S = 300.0
"""The outcome consumer of a process that is gone is deleted by the server after this long."""


class Command(Protocol):
    """What every command message carries."""

    @property
    def command_id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...


Change = TypeVar("Change")
Cmd = TypeVar("Cmd", bound=Command)


class Outcome(Protocol[Change]):  # type: ignore[misc]
    """The owner's answer to one command: the change it made, or the error it refused the command with."""

    @property
    def command_id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def change(self) -> Change | None: ...
    def error(self) -> BeffroiError | None: ...


@dataclass(frozen=True)
class _Waiting:
    """A command sent and not answered yet: its tenant (an outcome must match it) and the request's future."""

    tenant_id: str
    future: asyncio.Future[Any]


class BusCommandClient(ABC, Generic[Cmd, Change]):
    """Sends commands over the bus and returns the owner's change, or raises what it refused with (NotFound,
    InvalidTransition, RejectedInput), EngineTimeout when no outcome came within `timeout_s`, or EngineUnavailable
    when the bus refused the command, the owner failed to apply it, or this object is not started. Call `start()`
    before serving, `stop()` after; it has a worker's `name`, `start`, `stop` and `health`."""

    name: str
    outcome_type: ClassVar[type[msgspec.Struct]]
    outcomes_filter: ClassVar[str]
    owner: ClassVar[str]
    """Who applies the commands, for messages: e.g. "the alarm engine"."""
    owner_worker: ClassVar[str]
    """The `beffroi worker` component that does, for the timeout message."""
    consumer_prefix: ClassVar[str]

    @abstractmethod
    def command_subject(self, tenant_id: str) -> str:
        """The subject the tenant's commands are published on."""

    def __init__(self, bus: Bus, *, timeout_s: float = DEFAULT_TIMEOUT_S, consumer_name: str | None = None) -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 (got {timeout_s!r})")
        self._bus = bus
        self._timeout_s = timeout_s
        self.consumer_name = consumer_name or f"{self.consumer_prefix}-{uuid.uuid4().hex}"
        self._decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(self.outcome_type)
        self._waiting: dict[str, _Waiting] = {}
        self._subscription: Subscription | None = None
        self.answered = 0
        self.timed_out = 0

    async def start(self) -> None:
        """Subscribe to the outcomes; from here on every outcome the owner publishes reaches this process."""
        if self._subscription is not None:
            return
        options = ConsumerOptions(deliver_new_only=True, inactive_after_s=CONSUMER_INACTIVE_AFTER_S)
        self._subscription = await self._bus.subscribe(
            self.outcomes_filter, self.consumer_name, self._on_outcome, options
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

    @property
    def waiting(self) -> int:
        """Commands sent whose outcome has not arrived yet."""
        return len(self._waiting)

    def health(self) -> dict[str, AttributeValue]:
        """Commands waiting for their outcome, and the counts of those answered and timed out so far."""
        return {"waiting": self.waiting, "answered": self.answered, "timed_out": self.timed_out}

    async def execute(self, command: Cmd) -> Change:
        """Send the command to its owner and return the change it made (or raise what it refused with)."""
        if self._subscription is None:
            raise EngineUnavailable(f"{self.name} over the bus are not started in this API process")
        if command.command_id in self._waiting:
            raise ValueError(f"command {command.command_id!r} is already waiting for its outcome")
        future: asyncio.Future[Outcome[Change]] = asyncio.get_running_loop().create_future()
        self._waiting[command.command_id] = _Waiting(command.tenant_id, future)
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._bus.publish(
                    self.command_subject(command.tenant_id),
                    messages.encode(command),  # type: ignore[arg-type]
                    msg_id=command.command_id,
                )
                outcome = await future
        except TimeoutError:
            self.timed_out += 1
            raise EngineTimeout(
                f"{self.owner} did not answer within {self._timeout_s:g} s (is `beffroi worker {self.owner_worker}` "
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
        raise EngineUnavailable(f"{self.owner} could not apply the command: {refusal}")

    async def _on_outcome(self, message: BusMessage) -> None:
        try:
            outcome: Outcome[Change] = self._decoder.decode(message.data)
        except msgspec.DecodeError as error:
            log.warning("undecodable outcome of %s on %s skipped: %s", self.name, message.subject, error)
            return
        waiting = self._waiting.get(outcome.command_id)
        if waiting is None or waiting.future.done():
            return  # another API process's command, or one that timed out here
        if waiting.tenant_id != outcome.tenant_id:
            log.warning("outcome of command %s names another tenant; ignored", outcome.command_id)
            return
        waiting.future.set_result(outcome)
