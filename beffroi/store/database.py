"""Engine creation for the two supported databases: SQLite (embedded, WAL) and PostgreSQL (psycopg 3, pooled)."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import StaticPool

from beffroi.errors import StoreError

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
WRITE_OPTION = "beffroi_write"
"""Connection execution option: the transaction will write (SQLite then takes the write lock at BEGIN)."""


def parse_url(url: str, password: str | None = None) -> URL:
    """The SQLAlchemy URL of `url`, with `password` put in when given; a bad or unsupported URL is a StoreError."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        # Not echoed: a URL that fails to parse may still hold a password.
        raise StoreError("invalid database URL: use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB") from None
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in "
            f"{parsed.render_as_string(hide_password=True)}: use sqlite:///PATH or postgresql+psycopg://…"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, whatever SQLAlchemy's default driver
    elif parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise StoreError(f"unsupported PostgreSQL driver {parsed.get_driver_name()!r}: use postgresql+psycopg://…")
    elif parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() != "pysqlite":
        raise StoreError(f"unsupported SQLite driver {parsed.get_driver_name()!r}: use sqlite:///PATH")
    if password is not None:
        parsed = parsed.set(password=password)
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    """True for an in-memory SQLite database (`sqlite://` or `sqlite:///:memory:`), shared by one connection."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _json_serializer(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def create_engine(url: URL) -> Engine:
    """An engine for `url` (already checked by `parse_url`), with the dialect's settings applied on each connection."""
    common: dict[str, Any] = {"json_serializer": _json_serializer, "json_deserializer": msgspec.json.decode}
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, common)
    return _create_postgres_engine(url, common)


def _create_sqlite_engine(url: URL, common: dict[str, Any]) -> Engine:
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if is_memory_sqlite(url):
        engine = sa.create_engine(url, connect_args=connect_args, poolclass=StaticPool, **common)
    else:
        engine = sa.create_engine(url, connect_args=connect_args, pool_size=8, max_overflow=8, **common)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: the "begin" hook below issues BEGIN itself, so a write
        # transaction can take the lock up front (BEGIN IMMEDIATE) and never fail to upgrade a read lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _create_postgres_engine(url: URL, common: dict[str, Any]) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "beffroi"
    return sa.create_engine(
        url,
        connect_args=connect_args,
        pool_size=8,
        max_overflow=8,
        pool_pre_ping=True,
        pool_recycle=1800,
        **common,
    )
