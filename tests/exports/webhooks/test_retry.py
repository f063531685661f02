"""The back-off schedule: growing, jittered within [d/2, d], capped, Retry-After honoured; which statuses retry.
The schedule as the deliverer follows it is checked with httpx's MockTransport and a recorded sleep."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from beffroi.exports.webhooks.dead_letters import JsonLinesDeadLetters
from beffroi.exports.webhooks.deliverer import WebhookDeliverer
from beffroi.exports.webhooks.model import WebhookEndpoint, WebhookMessage
from beffroi.exports.webhooks.retry import RetryPolicy, is_retryable, retry_after_seconds

POLICY = RetryPolicy(max_attempts=6, base_delay_s=1.0, multiplier=2.0, max_delay_s=10.0)


def test_ceilings_double_up_to_the_cap() -> None:
    assert [POLICY.ceiling(attempt) for attempt in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_delays_are_jittered_between_half_and_all_of_the_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(1, 7):
        delays = [POLICY.delay(attempt, rng) for _ in range(200)]
        ceiling = POLICY.ceiling(attempt)
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) == 200  # never synchronised


def test_retry_after_raises_the_delay_but_not_above_the_cap() -> None:
    rng = random.Random(1)
    assert POLICY.delay(1, rng, retry_after_s=7.0) == 7.0
    assert POLICY.delay(1, rng, retry_after_s=3600.0) == 10.0
    assert 0.5 <= POLICY.delay(1, rng, retry_after_s=0.0) <= 1.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 0.5 ", 0.5), ("-3", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None), (None, None)],
)
def test_retry_after_headers_in_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (425, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (301, False),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (422, False),
    ],
)
def test_which_statuses_are_retried(status: int, retryable: bool) -> None:
    assert is_retryable(status) is retryable


async def test_the_deliverer_waits_the_policys_delays_between_tries(tmp_path: Path) -> None:
    answers = iter([503, 502, 500, 200])
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = httpx.MockTransport(lambda request: httpx.Response(next(answers)))
    async with httpx.AsyncClient(transport=transport) as client:
        deliverer = WebhookDeliverer(
            [WebhookEndpoint("mock", "https://hooks.example/beffroi", "city-a")],
            JsonLinesDeadLetters(tmp_path / "dead.jsonl"),
            policy=POLICY,
            client=client,
            rng=random.Random(42),
            sleep=record_sleep,
        )
        await deliverer.start()
        await deliverer.submit(WebhookMessage("m-1", "city-a", "incident.opened", 0.0))
        await deliverer.drain()
        await deliverer.stop()
    expected_rng = random.Random(42)
    assert waits == [POLICY.delay(attempt, expected_rng) for attempt in (1, 2, 3)]
    assert deliverer.stats()["mock"].delivered == 1
