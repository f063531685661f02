"""Rules indexed by device kind and metric, so a reading no rule watches costs two dict lookups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from beffroi.domain.registry import DeviceKind

T = TypeVar("T")


class RuleIndex(Generic[T]):
    """Items (compiled rules) by (device kind, metric); a kind of None applies to every kind."""

    __slots__ = ("_by_kind", "_generic")

    def __init__(self, entries: Iterable[tuple[str | None, str, T]]) -> None:
        generic: dict[str, list[T]] = {}
        specific: dict[str, dict[str, list[T]]] = {}
        for kind, metric, item in entries:
            table = generic if kind is None else specific.setdefault(kind, {})
            table.setdefault(metric, []).append(item)
        self._generic = {metric: tuple(items) for metric, items in generic.items()}
        self._by_kind: dict[str, dict[str, tuple[T, ...]]] = {}
        for kind in {kind.value for kind in DeviceKind} | set(specific):
            merged = {metric: list(items) for metric, items in generic.items()}
            for metric, items in specific.get(kind, {}).items():
                merged.setdefault(metric, []).extend(items)
            self._by_kind[kind] = {metric: tuple(items) for metric, items in merged.items()}

    def lookup(self, kind: str, metric: str) -> tuple[T, ...] | None:
        """The items watching `metric` on devices of `kind`, or None when there are none."""
        return self._by_kind.get(kind, self._generic).get(metric)

    def __bool__(self) -> bool:
        return bool(self._generic) or any(self._by_kind.values())
