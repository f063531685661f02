"""Webhooks: incidents (and their CAP alerts) POSTed to configured endpoints, signed with HMAC-SHA256, retried with
exponential back-off and jitter, in order per endpoint, and kept in a dead-letter log when they cannot be delivered.

- model: endpoints, messages, dead-letter records; signing: the signature header and its check;
- retry: the back-off schedule; dead_letters: where undeliverable messages go; deliverer: the queues and workers.
"""
