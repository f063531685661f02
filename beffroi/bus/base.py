"""The Bus protocol every backend implements, and the registry that picks a backend by `kind`.

Delivery is at-least-once with explicit acknowledgement: a handler that returns normally acks the message;
a handler that raises naks it and the bus redelivers it (after `redeliver_delay_s`) up to `max_deliver`
times, after which the message is terminated and logged. Consumers are durable: a consumer that
restarts under the same `durable` name resumes where it stopped, and every durable name receives every message
of its subject filter once (several processes sharing one durable name share the work).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One message as a handler receives it."""

    subject: str
    data: bytes
    msg_id: str | None = None
    delivery_count: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[BusMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """How a durable consumer fetches and redelivers."""

    batch: int = 256
    max_deliver: int = 5
    ack_wait_s: float = 30.0
    redeliver_delay_s: float = 0.5
    max_in_flight: int = 1024
    deliver_new_only: bool = False
    """True: a consumer created now starts after the newest stored message (a per-process live view, e.g. the API's
    stream), instead of at the oldest one."""
    inactive_after_s: float | None = None
    """When set, the server deletes the consumer after this long without a subscriber (consumers named per process,
    which nobody resumes after the process is gone). None: kept forever (durable work queues)."""
    erase_after_ack: bool = False
    """True: a message this consumer has taken (its handler returned, or it was given up after `max_deliver`) is
    erased from the stream at once — overwritten on the server's disk — instead of staying there `max_age_s`: for
    what must not be stored, such as a mobile operator's raw signalling (subscriber identifiers). Only for subjects
    no other consumer reads."""


class Subscription(Protocol):
    """A running consumer; `stop` stops fetching and waits for the handler in progress."""

    async def stop(self) -> None: ...


class Bus(Protocol):
    """Publish typed messages (as bytes) to subjects; consume them through durable consumers."""

    async def start(self) -> None:
        """Connect and make sure streams exist. Must be called before publish/subscribe."""

    async def close(self) -> None:
        """Stop every subscription and disconnect."""

    async def publish(self, subject: str, data: bytes, *, msg_id: str | None = None) -> None:
        """Publish one message; returns once the bus has it durably. Same `msg_id` twice is stored once."""

    async def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> None:
        """Publish several `(subject, data, msg_id)` messages, their acknowledgements awaited together (much faster
        than one `publish` after the other); returns once the bus has every one durably. Raises BusError when some
        could not be stored: which ones is unknown, so retry the whole call (messages with a `msg_id` are not
        stored twice)."""

    async def subscribe(
        self,
        subject_filter: str,
        durable: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Subscription:
        """Start a durable consumer on a subject filter (NATS wildcards `*` and `>` are supported)."""


class BusFactory(Protocol):
    """Builds a backend from its URL (e.g. `nats://127.0.0.1:4222`, `inprocess://`) and its stream settings."""

    def __call__(
        self, url: str, *, stream: str, subjects: Sequence[str], max_age_s: float, duplicate_window_s: float
    ) -> Bus: ...


_BACKENDS: dict[str, BusFactory] = {}


def register_backend(kind: str, factory: BusFactory) -> None:
    """Make a backend available under `kind` (done by each backend module at import)."""
    _BACKENDS[kind] = factory


def create_bus(
    kind: str,
    url: str,
    *,
    stream: str = "BEFFROI",
    subjects: Sequence[str] = ("beffroi.>",),
    max_age_s: float = 86_400.0,
    duplicate_window_s: float = 120.0,
) -> Bus:
    """The backend registered under `kind`, built from `url`: its stream `stream` stores the messages published on
    `subjects` (subject filters) for `max_age_s`, and a message id seen again within `duplicate_window_s` once."""
    from beffroi.bus import backends  # noqa: F401  (registers the shipped backends)

    try:
        factory = _BACKENDS[kind]
    except KeyError:
        raise KeyError(f"unknown bus kind {kind!r}; known: {sorted(_BACKENDS)}") from None
    return factory(url, stream=stream, subjects=subjects, max_age_s=max_age_s, duplicate_window_s=duplicate_window_s)
