"""The ingest gateway: checks each payload, drops duplicates, batches readings, dead-letters what it refuses.

Checks, in order, each with its reason code: `too_large` (before decoding), then the decoder's `malformed`,
`wrong_type`, `empty`, then `device_mismatch` (the topic names another device), `unknown_device` (unknown tenant
or device), `future_timestamp` and `stale_timestamp`. MQTT topics that do not fit the data topic are `bad_topic`.
A refused payload becomes one `DeadLetter` with its exact raw bytes (for `too_large`, the first
`max_payload_bytes` of them); `handle` never raises for bad input.
It raises only when the sink fails (the bus is unreachable), so the sender is not acknowledged and sends again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from beffroi.domain.observations import Event, Reading
from beffroi.domain.records import DeadLetter
from beffroi.domain.registry import Device
from beffroi.errors import BusError, RejectedInput
from beffroi.ingest.batcher import ReadingBatcher
from beffroi.ingest.decoders import DecodedMessage, Decoder, get_decoder
from beffroi.ingest.dedupe import DedupeFilter
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.metrics import GatewayCounters, GatewayMetrics
from beffroi.ingest.outcome import IngestOutcome, OutcomeStatus
from beffroi.ingest.sink import GatewaySink
from beffroi.ingest.topic import DataTopic, parse_data_topic

log = logging.getLogger(__name__)

_TOPIC_CACHE_SIZE = 50_000
"""Parsed MQTT topics kept (one per device in practice); the cache starts over when full."""

_NO_WAITERS: tuple[()] = ()
"""In-flight marker of a message no copy waits on yet (a list is made only when a copy arrives)."""

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
        self._in_flight: dict[tuple[str, str], list[asyncio.Future[None]] | tuple[()]] = {}
        self._topics: dict[str, DataTopic] = {}

    @property
    def metrics(self) -> GatewayMetrics:
        """The counters since start, as a snapshot."""
        return self._counters.snapshot(
            batches_published=self._batcher.batches_published, batches_failed=self._batcher.batches_failed
        )

    async def handle_mqtt(self, topic: str, payload: bytes) -> IngestOutcome:
        """Handle a payload received on an MQTT data topic (`{prefix}/{tenant}/data/{site}/{device}`).

        The tenant comes from the topic; the payload's device must be the topic's device. The site segment
        routes and scopes broker ACLs; the registry's site of the device is the one recorded.
        """
        source = "mqtt:" + topic
        parts = self._topics.get(topic)
        if parts is None:
            try:
                parts = parse_data_topic(topic, self.mqtt_topic_prefix)
            except RejectedInput as exc:
                return await self.reject(source, None, payload, exc.reason, exc.detail)
            if len(self._topics) >= _TOPIC_CACHE_SIZE:
                self._topics.clear()
            self._topics[topic] = parts
        return await self.handle(source, parts.tenant_id, payload, expected_device=parts.device_id)

    async def handle(
        self, source: str, tenant_id: str | None, payload: bytes, *, expected_device: str | None = None
    ) -> IngestOutcome:
        """Check, de-duplicate and publish one payload; returns once the bus has its readings and event.

        `source` says where it came from (`mqtt:<topic>`, `http:<tenant>`); `expected_device` is the device
        the transport vouches for (the MQTT topic's). Raises only when the sink fails.
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
            return await self._dead_letter(source, tenant_id, payload[: self.max_payload_bytes], "too_large", detail)
        try:
            messages = self._decoder.decode(payload)
            now = self._clock()
            devices = [self._check(tenant_id, message, expected_device, now) for message in messages]
        except RejectedInput as exc:
            return await self._dead_letter(source, tenant_id, payload, exc.reason, exc.detail)
        except Exception as exc:  # a decoder plug-in bug must not make a poison message loop forever
            log.exception("decoder %r failed on a payload from %s", self._decoder, source)
            return await self._dead_letter(source, tenant_id, payload, "decoder_error", repr(exc)[:500])
        if not messages:
            return await self._dead_letter(source, tenant_id, payload, "empty", "the payload carries no message")
        assert tenant_id is not None  # every message passed _check, which refuses a missing tenant
        return await self._accept(tenant_id, messages, devices)

    async def reject(self, source: str, tenant_id: str | None, raw: bytes, reason: str, detail: str) -> IngestOutcome:
        """Refuse input that never reached `handle` (a bad topic, an HTTP body that is not JSON): dead-letter it."""
        self._counters.received += 1
        return await self._dead_letter(source, tenant_id, raw, reason, detail)

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

    async def _accept(self, tenant_id: str, messages: list[DecodedMessage], devices: list[Device]) -> IngestOutcome:
        dedupe = self._dedupe
        waits: list[asyncio.Future[None]] = []
        events: list[Event] = []
        reserved: list[tuple[str, str]] = []
        duplicates = readings_count = 0
        for message, device in zip(messages, devices, strict=True):
            key = (tenant_id, message.msg_id)
            if not dedupe.add_if_new(tenant_id, message.msg_id):
                duplicates += 1
                waiters = self._in_flight.get(key)
                if waiters is not None:  # the first copy is still on its way to the bus: share its fate
                    if not waiters:
                        waiters = self._in_flight[key] = []
                    waiter = asyncio.get_running_loop().create_future()
                    waiters.append(waiter)
                    waits.append(waiter)
                continue
            self._in_flight[key] = _NO_WAITERS
            reserved.append(key)
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
                waits.append(self._batcher.add(tenant_id, device.site_id, readings))
            if message.event_type is not None:
                events.append(_event_of(tenant_id, message, device))
        try:
            for event in events:
                await self._sink.publish_event(event)
            for done in waits:
                await done
        except BaseException as exc:
            self._counters.sink_failures += 1
            for tenant, msg_id in reserved:
                dedupe.discard(tenant, msg_id)
            self._settle(reserved, exc)
            raise
        self._settle(reserved, None)
        counters = self._counters
        counters.duplicates += duplicates
        if not reserved:
            return IngestOutcome(OutcomeStatus.DUPLICATE, duplicates=duplicates)
        counters.accepted += 1
        counters.readings += readings_count
        counters.events += len(events)
        return IngestOutcome(OutcomeStatus.ACCEPTED, readings=readings_count, events=len(events), duplicates=duplicates)

    def _settle(self, keys: list[tuple[str, str]], failure: BaseException | None) -> None:
        """Release the duplicates that waited on these messages: they succeed or fail with the original."""
        for key in keys:
            for waiter in self._in_flight.pop(key, ()):
                if waiter.done():
                    continue
                if failure is None:
                    waiter.set_result(None)
                    continue
                if isinstance(failure, Exception):
                    waiter.set_exception(failure)
                else:
                    waiter.set_exception(BusError(f"the first copy of message {key[1]!r} was not published"))
                waiter.exception()  # marks it retrieved: a copy that gave up is not reported; awaiting still raises

    async def _dead_letter(
        self, source: str, tenant_id: str | None, raw: bytes, reason: str, detail: str
    ) -> IngestOutcome:
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
        try:
            await self._sink.publish_dead_letter(letter)
        except BaseException:
            self._counters.sink_failures += 1
            raise
        return IngestOutcome(OutcomeStatus.REJECTED, reason=reason, detail=detail)


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
