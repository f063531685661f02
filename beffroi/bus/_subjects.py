"""NATS naming rules shared by every backend: valid subjects, filters, names and message ids, and matching.

A subject is dot-separated tokens (`beffroi.readings.t1.s1`); a filter may use `*` (exactly one token) and `>`
(one or more tokens, last position only). Both backends check input with these functions so that a bad subject
fails the same way (a `BusError` naming it) whether the bus is in-process or NATS.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from beffroi.errors import BusError

_FORBIDDEN_IN_TOKEN = frozenset(" \t\r\n\f\v\x00")
_FORBIDDEN_IN_NAME = frozenset(" \t\r\n\f\v\x00.*>/\\")
_MAX_CACHED_MATCHES = 16_384


def _problem_with_tokens(text: str, *, wildcards: bool) -> str | None:
    """Why `text` is not a valid subject (or filter when `wildcards`), or None when it is."""
    if not text:
        return "it is empty"
    tokens = text.split(".")
    last = len(tokens) - 1
    for index, token in enumerate(tokens):
        if not token:
            return "it has an empty token"
        if any(char in _FORBIDDEN_IN_TOKEN for char in token):
            return "it contains whitespace or a NUL character"
        if token in ("*", ">"):
            if not wildcards:
                return f"wildcard {token!r} is only allowed in subscription filters"
            if token == ">" and index != last:
                return "'>' may only be the last token"
        elif "*" in token or ">" in token:
            return "a wildcard must be a whole token"
    return None


@lru_cache(maxsize=4096)
def check_subject(subject: str) -> str:
    """`subject` if it is a valid publish subject (no wildcards); raises BusError naming the problem."""
    problem = _problem_with_tokens(subject, wildcards=False)
    if problem is not None:
        raise BusError(f"invalid subject {subject!r}: {problem}")
    return subject


def check_filter(subject_filter: str) -> str:
    """`subject_filter` if it is a valid subscription filter; raises BusError naming the problem."""
    problem = _problem_with_tokens(subject_filter, wildcards=True)
    if problem is not None:
        raise BusError(f"invalid subject filter {subject_filter!r}: {problem}")
    return subject_filter


def check_name(kind: str, name: str) -> str:
    """`name` if it is a valid stream or durable name (no dots, wildcards, slashes or whitespace)."""
    if not name:
        raise BusError(f"invalid {kind} name {name!r}: it is empty")
    if any(char in _FORBIDDEN_IN_NAME for char in name):
        raise BusError(f"invalid {kind} name {name!r}: it may not contain '.', '*', '>', slashes or whitespace")
    return name


def check_msg_id(msg_id: str) -> str:
    """`msg_id` if it can travel as a message id (a header value): non-empty, no line breaks or NUL."""
    if not isinstance(msg_id, str) or not msg_id:
        raise BusError(f"invalid msg_id {msg_id!r}: it must be a non-empty string")
    if "\n" in msg_id or "\r" in msg_id or "\x00" in msg_id:
        raise BusError(f"invalid msg_id {msg_id!r}: it may not contain line breaks or NUL")
    return msg_id


def filter_matches(subject_filter: str, subject: str) -> bool:
    """True when the (wildcard-free) `subject` matches `subject_filter`."""
    if subject_filter == subject:
        return True
    pattern = subject_filter.split(".")
    tokens = subject.split(".")
    for index, wanted in enumerate(pattern):
        if wanted == ">":
            return len(tokens) > index
        if index >= len(tokens) or (wanted != "*" and wanted != tokens[index]):
            return False
    return len(tokens) == len(pattern)


def filter_is_subset(inner: str, outer: str) -> bool:
    """True when every subject matching filter `inner` also matches filter `outer`."""
    inner_tokens = inner.split(".")
    outer_tokens = outer.split(".")
    for index, wanted in enumerate(outer_tokens):
        if index >= len(inner_tokens):
            return False
        token = inner_tokens[index]
        if wanted == ">":
            return True
        if token == ">":
            return False
        if wanted != "*" and (token == "*" or token != wanted):
            return False
    return len(inner_tokens) == len(outer_tokens)


class SubjectFilter:
    """A compiled subscription filter that remembers its answers (subjects repeat: tenants, sites, kinds)."""

    __slots__ = ("_cache", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = check_filter(pattern)
        self._cache: dict[str, bool] = {}

    def matches(self, subject: str) -> bool:
        """True when `subject` matches this filter."""
        cache = self._cache
        answer = cache.get(subject)
        if answer is None:
            if len(cache) >= _MAX_CACHED_MATCHES:
                cache.clear()
            answer = cache[subject] = filter_matches(self.pattern, subject)
        return answer


class SubjectSpace:
    """The subjects a stream accepts (a list of filters)."""

    __slots__ = ("_filters", "_publishable", "patterns")

    def __init__(self, patterns: Sequence[str]) -> None:
        if isinstance(patterns, str) or not patterns:
            raise BusError(f"stream subjects must be a non-empty list of filters, got {patterns!r}")
        self.patterns = tuple(check_filter(pattern) for pattern in patterns)
        self._filters = tuple(SubjectFilter(pattern) for pattern in self.patterns)
        self._publishable: set[str] = set()  # subjects already checked (the hot path is one set lookup)

    def accepts(self, subject: str) -> bool:
        """True when a message published on `subject` is stored by the stream."""
        return any(subject_filter.matches(subject) for subject_filter in self._filters)

    def admits(self, subject_filter: str) -> bool:
        """True when a consumer may use `subject_filter` on this stream (NATS rule: the filter is within one of
        the stream's subjects, or wider than one of them)."""
        return any(
            filter_is_subset(subject_filter, pattern) or filter_is_subset(pattern, subject_filter)
            for pattern in self.patterns
        )

    def check_publish(self, subject: str, data: bytes, msg_id: str | None) -> None:
        """Raise BusError naming the problem unless this message can be published to the stream."""
        if subject not in self._publishable:
            check_subject(subject)
            if not self.accepts(subject):
                raise BusError(f"no stream stores subject {subject!r} (stream subjects: {list(self.patterns)})")
            if len(self._publishable) >= _MAX_CACHED_MATCHES:
                self._publishable.clear()
            self._publishable.add(subject)
        if not isinstance(data, bytes):
            raise BusError(f"message data must be bytes, got {type(data).__name__} (subject {subject!r})")
        if msg_id is not None:
            check_msg_id(msg_id)

    def check_consumer_filter(self, subject_filter: str) -> str:
        """`subject_filter` if a consumer may use it on this stream; raises BusError naming the problem."""
        check_filter(subject_filter)
        if not self.admits(subject_filter):
            raise BusError(f"subject filter {subject_filter!r} is outside the stream's subjects {list(self.patterns)}")
        return subject_filter
