"""Webhook delivery against a real HTTP server on a loopback socket: retries until success, dead letters when the
endpoint stays down, refuses, or is too slow; order per endpoint; signatures; filters; nothing secret logged."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from pathlib import Path

import pytest

from beffroi.errors import ConfigError
from beffroi.exports.cap.validate import validate_cap
from beffroi.exports.webhooks.dead_letters import JsonLinesDeadLetters
from beffroi.exports.webhooks.deliverer import WebhookDeliverer
from beffroi.exports.webhooks.model import WebhookEndpoint, WebhookMessage
from beffroi.exports.webhooks.retry import RetryPolicy
from beffroi.exports.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER
from tests.exports.cap.samples import fr_alert
from tests.exports.webhooks.receiver import SECRET, Receiver, running_receiver

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.02, multiplier=2.0, max_delay_s=0.1)
TENANT = "city-a"


def message(number: int, kind: str = "incident.opened", tenant: str = TENANT, cap: str | None = None) -> WebhookMessage:
    """A message about incident `number`."""
    return WebhookMessage(
        id=f"msg-{number}",
        tenant_id=tenant,
        kind=kind,
        occurred_at=1_722_015_000.0 + number,
        data={"incident_id": f"inc-{number}", "priority": 2, "title": "Effraction porte N3"},
        cap_xml=cap,
    )


def endpoint(receiver: Receiver, path: str, **options: object) -> WebhookEndpoint:
    """An endpoint of the receiver, signed with the shared secret unless told otherwise."""
    settings: dict[str, object] = {"secret": SECRET, "timeout_s": 2.0, **options}
    return WebhookEndpoint(name=path.strip("/").split("?")[0], url=receiver.url(path), tenant_id=TENANT, **settings)  # type: ignore[arg-type]


async def deliver(
    endpoints: list[WebhookEndpoint], messages: list[WebhookMessage], log_path: Path, policy: RetryPolicy = FAST
) -> tuple[WebhookDeliverer, list[list[str]]]:
    """Start a deliverer, submit the messages, wait until all are delivered or dead-lettered, stop it."""
    deliverer = WebhookDeliverer(endpoints, JsonLinesDeadLetters(log_path), policy=policy)
    await deliverer.start()
    try:
        queued = [await deliverer.submit(item) for item in messages]
        await deliverer.drain()
    finally:
        await deliverer.stop(grace_s=0)
    return deliverer, queued


async def test_a_flaky_endpoint_gets_the_message_on_the_third_try(tmp_path: Path) -> None:
    log_path = tmp_path / "dead-letters.jsonl"
    async with running_receiver() as receiver:
        deliverer, queued = await deliver([endpoint(receiver, "/flaky")], [message(1)], log_path)
    assert queued == [["flaky"]]
    requests = receiver.requests
    assert len(requests) == 3
    assert all(request.signature_ok for request in requests)
    assert {request.headers[DELIVERY_HEADER.lower()] for request in requests} == {"msg-1"}
    assert {request.headers[EVENT_HEADER.lower()] for request in requests} == {"incident.opened"}
    assert len({request.body for request in requests}) == 1
    assert json.loads(requests[0].body) == {
        "id": "msg-1",
        "kind": "incident.opened",
        "tenant_id": TENANT,
        "occurred_at": 1_722_015_001.0,
        "data": {"incident_id": "inc-1", "priority": 2, "title": "Effraction porte N3"},
    }
    stats = deliverer.stats()["flaky"]
    assert (stats.delivered, stats.retries, stats.dead_letters, stats.pending) == (1, 2, 0, 0)
    assert JsonLinesDeadLetters(log_path).read() == []


async def test_an_endpoint_that_stays_down_gets_a_dead_letter(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log_path = tmp_path / "dead-letters.jsonl"
    async with running_receiver() as receiver:
        down = endpoint(receiver, "/down?token=s3cr3t-path-token")
        deliverer, _ = await deliver([down], [message(1)], log_path)
    assert receiver.counts["/down"] == FAST.max_attempts
    [record] = JsonLinesDeadLetters(log_path).read()
    assert (record.endpoint, record.reason, record.attempts, record.last_error) == (
        "down",
        "retries_exhausted",
        4,
        "HTTP 500: broken",
    )
    assert (record.message_id, record.kind, record.tenant_id) == ("msg-1", "incident.opened", TENANT)
    assert record.url_origin == receiver.base_url
    assert record.body.encode() == receiver.bodies("/down")[0]
    assert record.content_type == "application/json"
    assert deliverer.stats()["down"].dead_letters == 1
    assert "dead-lettered" in caplog.text
    persisted = log_path.read_text()
    for secret in (SECRET, "s3cr3t-path-token"):
        assert secret not in caplog.text
        assert secret not in persisted
    assert SECRET not in repr(down)
    assert "s3cr3t" not in str(down)


async def test_a_slow_endpoint_times_out_and_gets_a_dead_letter(tmp_path: Path) -> None:
    log_path = tmp_path / "dead-letters.jsonl"
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.01)
    async with running_receiver(slow_s=1.0) as receiver:
        started = time.monotonic()
        await deliver([endpoint(receiver, "/slow", timeout_s=0.2)], [message(1)], log_path, policy)
        elapsed = time.monotonic() - started
    [record] = JsonLinesDeadLetters(log_path).read()
    assert (record.reason, record.attempts, record.last_error) == ("retries_exhausted", 2, "no answer within 0.2 s")
    assert elapsed < 1.5


async def test_a_refusal_is_not_retried(tmp_path: Path) -> None:
    log_path = tmp_path / "dead-letters.jsonl"
    async with running_receiver() as receiver:
        await deliver([endpoint(receiver, "/refuse")], [message(1)], log_path)
    assert receiver.counts["/refuse"] == 1
    [record] = JsonLinesDeadLetters(log_path).read()
    assert (record.reason, record.attempts, record.last_error) == ("refused", 1, "HTTP 400: bad payload")


async def test_an_unreachable_endpoint_is_retried_then_dead_lettered(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path / "dead-letters.jsonl"
    closed = WebhookEndpoint("closed", f"http://127.0.0.1:{port}/hook", TENANT, secret=SECRET)
    await deliver([closed], [message(1)], log_path)
    [record] = JsonLinesDeadLetters(log_path).read()
    assert (record.reason, record.attempts) == ("retries_exhausted", 4)
    assert record.last_error.startswith("ConnectError")


async def test_retry_after_is_respected(tmp_path: Path) -> None:
    async with running_receiver() as receiver:
        patient = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=1.0)
        await deliver([endpoint(receiver, "/throttle")], [message(1)], tmp_path / "dead-letters.jsonl", patient)
    first, second = receiver.requests
    assert second.at - first.at >= 0.2


async def test_each_endpoint_gets_its_messages_in_order(tmp_path: Path) -> None:
    async with running_receiver() as receiver:
        endpoints = [endpoint(receiver, "/flaky"), endpoint(receiver, "/ok")]
        await deliver(endpoints, [message(number) for number in range(1, 6)], tmp_path / "dead-letters.jsonl")
    flaky_ids = [json.loads(body)["id"] for body in receiver.bodies("/flaky")]
    assert flaky_ids == ["msg-1", "msg-1", "msg-1", "msg-2", "msg-3", "msg-4", "msg-5"]
    assert [json.loads(body)["id"] for body in receiver.bodies("/ok")] == [f"msg-{n}" for n in range(1, 6)]


async def test_endpoints_get_only_their_tenants_messages_of_the_kinds_they_want(tmp_path: Path) -> None:
    async with running_receiver() as receiver:
        incidents = endpoint(receiver, "/ok", events=["incident.*"])
        messages = [message(1, "incident.updated"), message(2, "alarm.raised"), message(3, tenant="city-b")]
        _, queued = await deliver([incidents], messages, tmp_path / "dead-letters.jsonl")
    assert queued == [["ok"], [], []]
    assert [json.loads(body)["id"] for body in receiver.bodies("/ok")] == ["msg-1"]


async def test_cap_endpoints_get_the_cap_xml_itself(tmp_path: Path) -> None:
    cap = fr_alert().decode()
    async with running_receiver() as receiver:
        cap_only = endpoint(receiver, "/ok", body="cap", secret=None)
        with_cap = endpoint(receiver, "/flaky", include_cap=True)
        messages = [message(1, cap=cap), message(2)]
        _, queued = await deliver([cap_only, with_cap], messages, tmp_path / "dead-letters.jsonl")
    assert queued == [["ok", "flaky"], ["flaky"]]
    [cap_request] = [request for request in receiver.requests if request.path == "/ok"]
    assert cap_request.headers["content-type"] == "application/cap+xml"
    assert SIGNATURE_HEADER.lower() not in cap_request.headers
    assert validate_cap(cap_request.body) == []
    flaky = [json.loads(body) for body in receiver.bodies("/flaky")]
    assert flaky[-2]["cap"] == cap
    assert "cap" not in flaky[-1]


async def test_what_is_pending_at_stop_becomes_dead_letters(tmp_path: Path) -> None:
    log_path = tmp_path / "dead-letters.jsonl"
    slow_retries = RetryPolicy(max_attempts=5, base_delay_s=30.0, max_delay_s=30.0)
    async with running_receiver() as receiver:
        deliverer = WebhookDeliverer([endpoint(receiver, "/down")], JsonLinesDeadLetters(log_path), policy=slow_retries)
        await deliverer.start()
        await deliverer.submit(message(1))
        await deliverer.submit(message(2))
        await asyncio.wait_for(receiver.seen("/down").wait(), 5)
        await deliverer.stop(grace_s=0.1)
    records = JsonLinesDeadLetters(log_path).read()
    assert [(r.message_id, r.reason, r.attempts, r.last_error) for r in records] == [
        ("msg-1", "shutdown", 1, "HTTP 500: broken"),
        ("msg-2", "shutdown", 0, "not tried yet"),
    ]


def test_bad_endpoints_are_configuration_errors(tmp_path: Path) -> None:
    endpoints = [
        WebhookEndpoint("a", "ftp://example.org/hook", TENANT),
        WebhookEndpoint("a", "https://example.org/hook", TENANT, timeout_s=0),
        WebhookEndpoint("b", "not a url", TENANT, events=[]),
    ]
    with pytest.raises(ConfigError) as caught:
        WebhookDeliverer(endpoints, JsonLinesDeadLetters(tmp_path / "x.jsonl"))
    assert caught.value.problems == [
        "webhooks.endpoints[0].url must be an http:// or https:// URL with a host",
        "webhooks.endpoints[1].name 'a' is empty or used twice",
        "webhooks.endpoints[1].timeout_s must be more than 0",
        "webhooks.endpoints[2].url must be an http:// or https:// URL with a host",
        'webhooks.endpoints[2].events must list at least one pattern ("*" for all)',
    ]
