"""Delivers webhook messages: one ordered queue and one worker per endpoint, retries with back-off, dead letters.

A message is POSTed to every endpoint of its tenant whose event patterns match its kind. Each endpoint receives
its messages in submission order: the worker retries the head of its queue until it is delivered (any 2xx) or
given up (a status retrying cannot fix, or `max_attempts` spent), and only then moves on. Whatever is not
delivered becomes a dead letter with the exact body, the attempts and the last error. Logs name the endpoint,
never its URL path, query or secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
import msgspec

from beffroi.errors import ConfigError
from beffroi.exports.webhooks.dead_letters import DeadLetterSink
from beffroi.exports.webhooks.model import WebhookDeadLetter, WebhookEndpoint, WebhookMessage, url_origin
from beffroi.exports.webhooks.retry import RetryPolicy, is_retryable, retry_after_seconds
from beffroi.exports.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger("beffroi.exports.webhooks")

JSON_MEDIA_TYPE = "application/json"
CAP_MEDIA_TYPE = "application/cap+xml"
USER_AGENT = "Beffroi-Webhooks/1"
MAX_ERROR_LENGTH = 300


class _RedactEndpointUrls(logging.Filter):
    """Rewrites the endpoints' full URLs (paths and queries often hold tokens) in httpx's request log lines."""

    def __init__(self, endpoints: Sequence[WebhookEndpoint]) -> None:
        super().__init__()
        self._shown = {endpoint.url: f"{url_origin(endpoint.url)}/<{endpoint.name}>" for endpoint in endpoints}

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._shown.get(str(arg), arg) for arg in record.args)
        return True


class EndpointStats(msgspec.Struct):
    """Counters of one endpoint since start: delivered, retries made, dead letters, and messages waiting."""

    delivered: int = 0
    retries: int = 0
    dead_letters: int = 0
    pending: int = 0


class _Permanent(Exception):
    """The endpoint refused the message in a way retrying cannot fix."""


@dataclass(frozen=True)
class _Failure:
    """A try that failed but may succeed later, with the receiver's Retry-After when it gave one."""

    error: str
    retry_after_s: float | None = None


@dataclass
class _Lane:
    """One endpoint's queue, worker and counters; `current` is the message being tried, with its tries so far."""

    endpoint: WebhookEndpoint
    queue: asyncio.Queue[WebhookMessage]
    stats: EndpointStats = field(default_factory=EndpointStats)
    worker: asyncio.Task[None] | None = None
    current: WebhookMessage | None = None
    attempts: int = 0
    last_error: str = ""


class WebhookDeliverer:
    """Queues messages per endpoint and delivers them in the background between `start()` and `stop()`.

    `client` is shared by all endpoints (one is made, and closed, when not given); `rng`, `sleep` and `clock` are
    there for tests to make jitter, waits and times deterministic.
    """

    def __init__(
        self,
        endpoints: Sequence[WebhookEndpoint],
        dead_letters: DeadLetterSink,
        *,
        policy: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
        queue_size: int = 10_000,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_endpoints(endpoints)
        self.policy = policy or RetryPolicy()
        self._dead_letters = dead_letters
        self._client = client
        self._own_client = client is None
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._lanes = {endpoint.name: _Lane(endpoint, asyncio.Queue(queue_size)) for endpoint in endpoints}
        self._redaction = _RedactEndpointUrls(endpoints)

    async def start(self) -> None:
        """Start one worker per endpoint."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": USER_AGENT})
        logging.getLogger("httpx").addFilter(self._redaction)
        for lane in self._lanes.values():
            lane.worker = asyncio.create_task(self._work(lane), name=f"webhook:{lane.endpoint.name}")

    async def submit(self, message: WebhookMessage) -> list[str]:
        """Queue `message` for each matching endpoint; returns their names. An endpoint whose queue is full gets a
        dead letter (`queue_full`) instead."""
        queued = []
        for lane in self._lanes.values():
            if not _wants(lane.endpoint, message):
                continue
            try:
                lane.queue.put_nowait(message)
            except asyncio.QueueFull:
                await self._give_up(lane, message, "queue_full", 0, "the endpoint's queue is full")
                continue
            queued.append(lane.endpoint.name)
        return queued

    async def drain(self) -> None:
        """Wait until every queued message was delivered or dead-lettered."""
        await asyncio.gather(*(lane.queue.join() for lane in self._lanes.values()))

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let the queues drain for up to `grace_s`, then stop; what is left becomes dead letters (`shutdown`)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace_s)
        workers = [lane.worker for lane in self._lanes.values() if lane.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for lane in self._lanes.values():
            lane.worker = None
            if lane.current is not None:
                await self._give_up(lane, lane.current, "shutdown", lane.attempts, lane.last_error or "not tried yet")
                lane.current = None
            while not lane.queue.empty():
                await self._give_up(lane, lane.queue.get_nowait(), "shutdown", 0, "not tried yet")
                lane.queue.task_done()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        logging.getLogger("httpx").removeFilter(self._redaction)

    def stats(self) -> dict[str, EndpointStats]:
        """Counters per endpoint name."""
        for lane in self._lanes.values():
            lane.stats.pending = lane.queue.qsize()
        return {name: lane.stats for name, lane in self._lanes.items()}

    async def _work(self, lane: _Lane) -> None:
        while True:
            message = await lane.queue.get()
            lane.current, lane.attempts, lane.last_error = message, 0, ""
            try:
                await self._deliver(lane, message)
            except asyncio.CancelledError:
                raise  # stop() dead-letters lane.current
            except Exception as error:  # a bug must not kill the lane: keep the message and go on
                log.exception("webhook %s: unexpected failure on message %s", lane.endpoint.name, message.id)
                await self._give_up(lane, message, "internal_error", lane.attempts, _describe(error, lane.endpoint))
            lane.current = None
            lane.queue.task_done()

    async def _deliver(self, lane: _Lane, message: WebhookMessage) -> None:
        endpoint = lane.endpoint
        content_type, body = encode_body(endpoint, message)
        while True:
            lane.attempts += 1
            try:
                failure = await self._attempt(endpoint, message, content_type, body)
            except _Permanent as refused:
                lane.last_error = str(refused)
                await self._give_up(lane, message, "refused", lane.attempts, lane.last_error, body)
                return
            if failure is None:
                lane.stats.delivered += 1
                return
            lane.last_error = failure.error
            if lane.attempts >= self.policy.max_attempts:
                await self._give_up(lane, message, "retries_exhausted", lane.attempts, lane.last_error, body)
                return
            wait = self.policy.delay(lane.attempts, self._rng, failure.retry_after_s)
            log.info(
                "webhook %s: message %s try %d failed (%s); again in %.1f s",
                endpoint.name,
                message.id,
                lane.attempts,
                lane.last_error,
                wait,
            )
            lane.stats.retries += 1
            await self._sleep(wait)

    async def _attempt(
        self, endpoint: WebhookEndpoint, message: WebhookMessage, content_type: str, body: bytes
    ) -> _Failure | None:
        """None when delivered; a _Failure when worth another try; raises _Permanent when not."""
        assert self._client is not None, "start() the deliverer first"
        timestamp = int(self._clock())
        headers = {
            "Content-Type": content_type,
            DELIVERY_HEADER: message.id,
            EVENT_HEADER: message.kind,
            TIMESTAMP_HEADER: str(timestamp),
        }
        if endpoint.secret:
            headers[SIGNATURE_HEADER] = sign(endpoint.secret, timestamp, body)
        try:
            response = await self._client.post(endpoint.url, content=body, headers=headers, timeout=endpoint.timeout_s)
        except httpx.TimeoutException:
            return _Failure(f"no answer within {endpoint.timeout_s:g} s")
        except httpx.TransportError as transport_error:
            return _Failure(_describe(transport_error, endpoint))
        if 200 <= response.status_code < 300:
            return None
        error = f"HTTP {response.status_code}" + (f": {response.text[:200]}" if response.text else "")
        if is_retryable(response.status_code):
            return _Failure(error, retry_after_seconds(response.headers.get("Retry-After")))
        raise _Permanent(error)

    async def _give_up(
        self, lane: _Lane, message: WebhookMessage, reason: str, attempts: int, error: str, body: bytes | None = None
    ) -> None:
        endpoint = lane.endpoint
        if body is None:
            content_type, body = encode_body(endpoint, message)
        else:
            content_type = CAP_MEDIA_TYPE if endpoint.body == "cap" else JSON_MEDIA_TYPE
        record = WebhookDeadLetter(
            id=uuid.uuid4().hex,
            failed_at=self._clock(),
            endpoint=endpoint.name,
            url_origin=url_origin(endpoint.url),
            tenant_id=message.tenant_id,
            message_id=message.id,
            kind=message.kind,
            reason=reason,
            attempts=attempts,
            last_error=error[:MAX_ERROR_LENGTH],
            content_type=content_type,
            body=body.decode("utf-8"),
        )
        lane.stats.dead_letters += 1
        log.warning(
            "webhook %s: message %s (%s) dead-lettered after %d attempt(s): %s: %s",
            endpoint.name,
            message.id,
            message.kind,
            attempts,
            reason,
            record.last_error,
        )
        try:
            await self._dead_letters.record(record)
        except Exception:
            log.exception("webhook %s: the dead letter of message %s could not be written", endpoint.name, message.id)


def encode_body(endpoint: WebhookEndpoint, message: WebhookMessage) -> tuple[str, bytes]:
    """The content type and body sent to `endpoint` for `message`."""
    if endpoint.body == "cap":
        return CAP_MEDIA_TYPE, (message.cap_xml or "").encode("utf-8")
    document: dict[str, object] = {
        "id": message.id,
        "kind": message.kind,
        "tenant_id": message.tenant_id,
        "occurred_at": message.occurred_at,
        "data": message.data,
    }
    if endpoint.include_cap and message.cap_xml is not None:
        document["cap"] = message.cap_xml
    return JSON_MEDIA_TYPE, msgspec.json.encode(document)


def check_endpoints(endpoints: Sequence[WebhookEndpoint]) -> None:
    """ConfigError naming each bad endpoint: duplicate name, not an http(s) URL, timeout not positive."""
    problems = []
    seen: set[str] = set()
    for index, endpoint in enumerate(endpoints):
        path = f"webhooks.endpoints[{index}]"
        if not endpoint.name or endpoint.name in seen:
            problems.append(f"{path}.name {endpoint.name!r} is empty or used twice")
        seen.add(endpoint.name)
        try:
            origin = url_origin(endpoint.url)
        except ValueError:
            origin = ""
        if not origin.startswith(("http://", "https://")) or origin.endswith("://"):
            problems.append(f"{path}.url must be an http:// or https:// URL with a host")
        if not endpoint.timeout_s > 0:
            problems.append(f"{path}.timeout_s must be more than 0")
        if not endpoint.events:
            problems.append(f'{path}.events must list at least one pattern ("*" for all)')
    if problems:
        raise ConfigError("webhooks", problems)


def _wants(endpoint: WebhookEndpoint, message: WebhookMessage) -> bool:
    if endpoint.tenant_id != message.tenant_id:
        return False
    if endpoint.body == "cap" and message.cap_xml is None:
        return False
    return any(fnmatch.fnmatchcase(message.kind, pattern) for pattern in endpoint.events)


def _describe(error: BaseException, endpoint: WebhookEndpoint) -> str:
    """`Type: message` with the endpoint's URL and secret blanked out."""
    text = f"{type(error).__name__}: {error}".replace(endpoint.url, f"<{endpoint.name}>")
    if endpoint.secret:
        text = text.replace(endpoint.secret, "<secret>")
    return text
