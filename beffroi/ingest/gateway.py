"""The ingest gateway: checks each payload, drops duplicates, batches readings, dead-letters what it refuses.

Checks, in order, each with its reason code: `too_large` (before decoding), then the decoder's `malformed`,
`wrong_type`, `empty`, then `device_mismatch` (the topic names another device), `unknown_device` (unknown tenant
or device), `future_timestamp` and `stale_timestamp`. MQTT topics that do not fit the data topic are `bad_topic`.
A refused payload becomes one `DeadLetter` with its exact raw bytes (for `too_large`, the first
`max_payload_bytes` of them); `handle` never raises for bad input.
It raises only when the sink fails (the bus is unreachable), so the sender is not acknowledged and sends again.

`submit` / `submit_mqtt` do the same work without waiting: plain function calls that return the outcome and one
future to acknowledge on, shared by every payload of the same reading batch, so a transport that acknowledges
many messages at once (MQTT) pays for no task nor future per message. `handle` is `submit`, then a wait.
A copy of a message still on its way to the bus waits on the first copy's future: it is acknowledged only if the
first copy made it. When a future fails, its messages are forgotten by the duplicate filter, so the copies the
sender sends again are taken.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from beffroi.domain.observations import Event, Reading
from beffroi.domain.records import DeadLetter
from beffroi.domain.registry import Device
from beffroi.errors import RejectedInput
from beffroi.ingest.batcher import ReadingBatcher
from beffroi.ingest.decoders import DecodedMessage, Decoder, get_decoder
from beffroi.ingest.dedupe import DedupeFilter
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.metrics import GatewayCounters, GatewayMetrics
from beffroi.ingest.outcome import IngestOutcome, OutcomeStatus
from beffroi.ingest.settling import all_of, failure_of, follow
from beffroi.ingest.sink import GatewaySink
from beffroi.ingest.topic import DataTopic, parse_data_topic

log = logging.getLogger(__name__)

_TOPIC_CACHE_SIZE = 50_000
"""Parsed MQTT topics kept (one per device in practice); the cache starts over when full."""

_EPOCH_SECONDS_HINT_BELOW = 1e8
"""A timestamp this close to 1970 was most likely sent in epoch seconds where milliseconds are expected."""


class Gateway:
    """Turns device payloads into readings and events on the sink; see the module docstring for the checks."""

    def __init__(
        self,
        directory: DeviceDirectory,
        sink: GatewaySink,
        *,
        decoder: str | Decoder = "json-stream",
        max_payload_bytes: int = 65536,
        max_future_skew_s: float = 300.0,
        max_age_s: float = 604800.0,
        dedupe_capacity: int = 500_000,
        batch_max_readings: int = 2000,
        batch_linger_ms: float = 5.0,
        clock: Callable[[], float] = time.time,
        mqtt_topic_prefix: str | None = None,
    ) -> None:
        self.directory = directory
        self.max_payload_bytes = max_payload_bytes
        self.max_future_skew_s = max_future_skew_s
        self.max_age_s = max_age_s
        self.mqtt_topic_prefix = mqtt_topic_prefix
        self._sink = sink
        self._decoder = get_decoder(decoder) if isinstance(decoder, str) else decoder
        self._clock = clock
        self._dedupe = DedupeFilter(dedupe_capacity)
        self._batcher = ReadingBatcher(
            sink.publish_readings, max_readings=batch_max_readings, linger_ms=batch_linger_ms
        )
        self._counters = GatewayCounters()
        self._in_flight: dict[tuple[str, str], asyncio.Future[None]] = {}
        self._ledgers: dict[asyncio.Future[None], _Ledger] = {}
        self._topics: dict[str, DataTopic] = {}

    @property
    def metrics(self) -> GatewayMetrics:
        """The counters since start, as a snapshot."""
        return self._counters.snapshot(
            batches_published=self._batcher.batches_published, batches_failed=self._batcher.batches_failed
        )

    def submit_mqtt(self, topic: str, payload: bytes) -> Submitted:
        """Take a payload received on an MQTT data topic (`{prefix}/{tenant}/data/{site}/{device}`) without waiting.

        The tenant comes from the topic; the payload's device must be the topic's device. The site segment
        routes and scopes broker ACLs; the registry's site of the device is the one recorded. See `submit`.
        """
        parts = self._topics.get(topic)
        if parts is None:
            try:
                parts = parse_data_topic(topic, self.mqtt_topic_prefix)
            except RejectedInput as exc:
                self._counters.received += 1
                return self._dead_letter("mqtt:" + topic, None, payload, exc.reason, exc.detail)
            if len(self._topics) >= _TOPIC_CACHE_SIZE:
                self._topics.clear()
            self._topics[topic] = parts
        return self.submit("mqtt:" + topic, parts.tenant_id, payload, expected_device=parts.device_id)

    def submit(
        self, source: str, tenant_id: str | None, payload: bytes, *, expected_device: str | None = None
    ) -> Submitted:
        """Check, de-duplicate and queue one payload for the bus now; the sender may be acknowledged once
        `Submitted.settled` succeeded (at once when it is None).

        `source` says where it came from (`mqtt:<topic>`, `http:<tenant>`); `expected_device` is the device
        the transport vouches for (the MQTT topic's). Never raises for bad input: it becomes a dead letter, and
        `settled` is its publication. When `settled` fails, the bus did not take the payload: do not acknowledge
        it; the same payload sent again is taken again. Call it on the event loop (it schedules publications).
        """
        counters = self._counters
        counters.received += 1
        if len(payload) > self.max_payload_bytes:
            # Only the first bytes are kept: a dead letter as big as the payload could itself be too big for the
            # bus, fail to publish, and bring the message back forever.
            detail = (
                f"payload is {len(payload)} bytes; the limit is {self.max_payload_bytes} "
                f"(first {self.max_payload_bytes} bytes kept)"
            )
            return self._dead_letter(source, tenant_id, payload[: self.max_payload_bytes], "too_large", detail)
        try:
            messages = self._decoder.decode(payload)
            now = self._clock()
            devices = [self._check(tenant_id, message, expected_device, now) for message in messages]
        except RejectedInput as exc:
            return self._dead_letter(source, tenant_id, payload, exc.reason, exc.detail)
        except Exception as exc:  # a decoder plug-in bug must not make a poison message loop forever
            log.exception("decoder %r failed on a payload from %s", self._decoder, source)
            return self._dead_letter(source, tenant_id, payload, "decoder_error", repr(exc)[:500])
        if not messages:
            return self._dead_letter(source, tenant_id, payload, "empty", "the payload carries no message")
        assert tenant_id is not None  # every message passed _check, which refuses a missing tenant
        return self._accept(tenant_id, messages, devices)

    async def handle_mqtt(self, topic: str, payload: bytes) -> IngestOutcome:
        """`submit_mqtt`, then wait until the bus has the payload's readings and event (or its dead letter).

        Raises only when the sink fails.
        """
        return await _settled_outcome(self.submit_mqtt(topic, payload))

    async def handle(
        self, source: str, tenant_id: str | None, payload: bytes, *, expected_device: str | None = None
    ) -> IngestOutcome:
        """Check, de-duplicate and publish one payload; returns once the bus has its readings and event.

        `source` says where it came from (`mqtt:<topic>`, `http:<tenant>`); `expected_device` is the device
        the transport vouches for (the MQTT topic's). Raises only when the sink fails.
        """
        return await _settled_outcome(self.submit(source, tenant_id, payload, expected_device=expected_device))

    async def reject(self, source: str, tenant_id: str | None, raw: bytes, reason: str, detail: str) -> IngestOutcome:
        """Refuse input that never reached `handle` (a bad topic, an HTTP body that is not JSON): dead-letter it."""
        self._counters.received += 1
        return await _settled_outcome(self._dead_letter(source, tenant_id, raw, reason, detail))

    async def flush(self) -> None:
        """Publish the readings waiting in batches now, and wait until the bus has them (or refused them)."""
        await self._batcher.flush()

    async def close(self) -> None:
        """Flush pending batches; the gateway stays usable (a later payload starts a new batch)."""
        await self.flush()

    def _check(self, tenant_id: str | None, message: DecodedMessage, expected_device: str | None, now: float) -> Device:
        device_id = message.device_id
        if expected_device is not None and device_id != expected_device:
            raise RejectedInput(
                "device_mismatch", f"the topic names device {expected_device!r} but streamId is {device_id!r}"
            )
        if tenant_id is None:
            raise RejectedInput("unknown_device", "no tenant was given for this payload")
        device = self.directory.lookup(tenant_id, device_id)
        if device is None:
            if not self.directory.has_tenant(tenant_id):
                raise RejectedInput("unknown_device", f"tenant {tenant_id[:100]!r} has no registered device")
            raise RejectedInput("unknown_device", f"device {device_id!r} is not registered for tenant {tenant_id!r}")
        ts = message.ts
        if ts > now + self.max_future_skew_s:
            raise RejectedInput(
                "future_timestamp",
                f"timestamp {_iso(ts)} is {ts - now:.0f} s ahead of the gateway clock "
                f"(at most {self.max_future_skew_s:g} s allowed)",
            )
        if ts < now - self.max_age_s:
            hint = " - epoch seconds sent where milliseconds are expected?" if ts < _EPOCH_SECONDS_HINT_BELOW else ""
            raise RejectedInput(
                "stale_timestamp",
                f"timestamp {_iso(ts)} is {now - ts:.0f} s old (at most {self.max_age_s:g} s allowed){hint}",
            )
        return device

    def _accept(self, tenant_id: str, messages: list[DecodedMessage], devices: list[Device]) -> Submitted:
        dedupe = self._dedupe
        in_flight = self._in_flight
        waits: list[asyncio.Future[None]] = []
        events: list[Event] = []
        reserved: list[tuple[str, str]] = []
        duplicates = readings_count = 0
        for message, device in zip(messages, devices, strict=True):
            if not dedupe.add_if_new(tenant_id, message.msg_id):
                duplicates += 1
                original = in_flight.get((tenant_id, message.msg_id))
                if original is not None and original not in waits:  # still on its way: share its fate
                    waits.append(original)
                continue
            reserved.append((tenant_id, message.msg_id))
            if message.values:
                readings = [
                    Reading(
                        tenant_id,
                        device.id,
                        metric,
                        value,
                        message.ts,
                        device.site_id,
                        device.zone_id,
                        message.position,
                    )
                    for metric, value in message.values.items()
                ]
                readings_count += len(readings)
                batch = self._batcher.add_shared(tenant_id, device.site_id, readings)
                if batch not in waits:
                    waits.append(batch)
            if message.event_type is not None:
                events.append(_event_of(tenant_id, message, device))
        if events:
            waits.append(asyncio.get_running_loop().create_task(self._publish_events(events)))
        status = OutcomeStatus.ACCEPTED if reserved else OutcomeStatus.DUPLICATE
        outcome = IngestOutcome(status, readings=readings_count, events=len(events), duplicates=duplicates)
        if not waits:  # duplicates of messages already on the bus (or new messages with nothing to publish)
            counters = self._counters
            counters.duplicates += duplicates
            counters.accepted += 1 if reserved else 0
            return Submitted(outcome, None)
        settled = waits[0] if len(waits) == 1 else all_of(waits)
        for key in reserved:
            in_flight[key] = settled
        ledger = self._ledger_of(settled)
        ledger.reserved.extend(reserved)
        ledger.payloads += 1
        ledger.accepted += 1 if reserved else 0
        ledger.readings += readings_count
        ledger.events += len(events)
        ledger.duplicates += duplicates
        return Submitted(outcome, settled)

    async def _publish_events(self, events: list[Event]) -> None:
        for event in events:
            await self._sink.publish_event(event)

    def _dead_letter(self, source: str, tenant_id: str | None, raw: bytes, reason: str, detail: str) -> Submitted:
        self._counters.count_rejected(reason)
        known_tenant = tenant_id if tenant_id is not None and self.directory.has_tenant(tenant_id) else None
        letter = DeadLetter(
            id=uuid.uuid4().hex,
            ts=self._clock(),
            source=source,
            reason=reason,
            detail=detail,
            raw=raw,
            tenant_id=known_tenant,
        )
        published = asyncio.get_running_loop().create_task(self._sink.publish_dead_letter(letter))
        self._ledger_of(published).payloads += 1
        return Submitted(IngestOutcome(OutcomeStatus.REJECTED, reason=reason, detail=detail), published)

    def _ledger_of(self, settled: asyncio.Future[None]) -> _Ledger:
        """The ledger of what waits on `settled`, made (and settled with it) on first use."""
        ledger = self._ledgers.get(settled)
        if ledger is None:
            ledger = self._ledgers[settled] = _Ledger()
            settled.add_done_callback(self._settle)
        return ledger

    def _settle(self, settled: asyncio.Future[None]) -> None:
        """Count what `settled` published; when it failed, forget its messages so copies sent again are taken."""
        ledger = self._ledgers.pop(settled)
        in_flight = self._in_flight
        for key in ledger.reserved:
            in_flight.pop(key, None)
        counters = self._counters
        if failure_of(settled) is None:
            counters.accepted += ledger.accepted
            counters.readings += ledger.readings
            counters.events += ledger.events
            counters.duplicates += ledger.duplicates
            return
        counters.sink_failures += ledger.payloads
        dedupe = self._dedupe
        for tenant_id, msg_id in ledger.reserved:
            dedupe.discard(tenant_id, msg_id)


class Submitted(msgspec.Struct, frozen=True):
    """What `Gateway.submit` did with one payload."""

    outcome: IngestOutcome
    """What happened to the payload, once `settled` succeeded."""
    settled: asyncio.Future[None] | None
    """Settles when the bus has everything the payload brought (fails when it refused it); None when nothing
    was left to publish. Shared with other payloads: attach callbacks, or await `settling.follow(settled)`;
    never cancel it."""


class _Ledger:
    """What the payloads waiting on one future bring: counted when it succeeds, forgotten when it fails."""

    __slots__ = ("accepted", "duplicates", "events", "payloads", "readings", "reserved")

    def __init__(self) -> None:
        self.reserved: list[tuple[str, str]] = []
        self.payloads = 0
        self.accepted = 0
        self.readings = 0
        self.events = 0
        self.duplicates = 0


async def _settled_outcome(submitted: Submitted) -> IngestOutcome:
    """The outcome, once the bus has what the payload brought; raises the sink's error when it refused it."""
    if submitted.settled is not None:
        await follow(submitted.settled)
    return submitted.outcome


def _event_of(tenant_id: str, message: DecodedMessage, device: Device) -> Event:
    """The event a message carries; the device's tags come along as attributes (the event's own win)."""
    attributes = {**message.tags, **message.event_attributes} if message.tags else message.event_attributes
    return Event(
        event_id=message.msg_id,
        tenant_id=tenant_id,
        type=message.event_type or "",
        source=device.id,
        ts=message.ts,
        site_id=device.site_id,
        zone_id=device.zone_id,
        position=message.position,
        confidence=message.event_confidence,
        attributes=attributes,
    )


def _iso(ts: float) -> str:
    """`ts` as an ISO 8601 UTC time for messages (the number itself when out of the calendar's range)."""
    try:
        return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return f"{ts:g} (epoch s)"
