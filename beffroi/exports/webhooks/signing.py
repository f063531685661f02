"""The signature of a webhook request, and its check on the receiving side.

`X-Beffroi-Signature: sha256=<hex>` is HMAC-SHA256 with the endpoint's secret over `<timestamp>.<body>`, the
timestamp being the `X-Beffroi-Timestamp` header (Unix seconds): a receiver recomputes it, compares in constant
time and refuses old timestamps, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Beffroi-Signature"
TIMESTAMP_HEADER = "X-Beffroi-Timestamp"
DELIVERY_HEADER = "X-Beffroi-Delivery"
EVENT_HEADER = "X-Beffroi-Event"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Beffroi-Signature value of `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance_s: float = 300.0) -> bool:
    """True when `signature` is that of `body` at `timestamp` and the timestamp is within `tolerance_s` of `now`."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)
