"""The HMAC-SHA256 signature over timestamp and body, and its check: tampering and replays fail."""

from __future__ import annotations

import hashlib
import hmac

from beffroi.exports.webhooks.signing import sign, verify

SECRET = "s3cret-of-the-endpoint"
BODY = b'{"id":"msg-1","kind":"incident.opened"}'
NOW = 1_722_015_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"


def test_a_genuine_request_verifies() -> None:
    assert verify(SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), now=NOW + 10)


def test_a_tampered_body_another_secret_or_a_replay_fail() -> None:
    signature = sign(SECRET, NOW, BODY)
    assert not verify(SECRET, str(NOW), BODY + b" ", signature, now=NOW)
    assert not verify("another-secret", str(NOW), BODY, signature, now=NOW)
    assert not verify(SECRET, str(NOW + 1), BODY, signature, now=NOW)
    assert not verify(SECRET, str(NOW), BODY, signature, now=NOW + 301)
    assert not verify(SECRET, "yesterday", BODY, signature, now=NOW)
