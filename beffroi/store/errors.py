"""The store's own errors, and the translation of SQLAlchemy errors into Beffroi's hierarchy at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from beffroi.errors import StoreError


class DuplicateOpenAlarm(StoreError):
    """Saving an alarm would make a second open alarm for a key that already has one (with another id)."""

    def __init__(self, tenant_id: str, key_text: str, alarm_id: str, open_alarm_id: str | None) -> None:
        self.tenant_id = tenant_id
        self.key_text = key_text
        self.alarm_id = alarm_id
        self.open_alarm_id = open_alarm_id
        other = f"alarm {open_alarm_id!r}" if open_alarm_id else "another alarm of the same batch"
        super().__init__(f"tenant {tenant_id!r}: alarm {alarm_id!r} has key {key_text!r}, already open as {other}")


def describe(error: sa.exc.SQLAlchemyError) -> str:
    """The first line of the driver's message (or SQLAlchemy's own), without the SQL and parameters."""
    text = str(error.orig) if isinstance(error, sa.exc.DBAPIError) and error.orig is not None else str(error)
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{type(error).__name__}: {first_line}"


@contextmanager
def translated(operation: str, dialect: str) -> Iterator[None]:
    """Raise any SQLAlchemy error escaping the block as a StoreError naming the operation and the database."""
    try:
        yield
    except sa.exc.SQLAlchemyError as error:
        hint = ""
        message = describe(error).lower()
        if "no such table" in message or ("relation" in message and "does not exist" in message):
            hint = " (the schema is missing: run the migrations, `Store.migrate()`)"
        raise StoreError(f"{operation} failed on {dialect}: {describe(error)}{hint}") from error
