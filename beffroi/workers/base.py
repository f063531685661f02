"""What every worker offers the composition root: a name, start, stop, and a health snapshot."""

from __future__ import annotations

from typing import Protocol

from beffroi.domain.observations import AttributeValue

Health = dict[str, AttributeValue]


class Worker(Protocol):
    """A long-running component of Beffroi."""

    name: str

    async def start(self) -> None:
        """Connect, subscribe, and start background tasks. Returns once the worker is serving."""

    async def stop(self) -> None:
        """Stop background tasks and release connections; loses nothing that was acknowledged."""

    def health(self) -> Health:
        """Counters and state for /health and the benchmarks."""
