"""Opening the store: URLs, passwords, SQLite settings, and errors that come out as StoreError."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from beffroi.errors import StoreError
from beffroi.store.migrator import alembic_config
from beffroi.store.store import Store
from tests.services import POSTGRES_ADMIN_URL, require_service
from tests.store.samples import T0, reading, tenant


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/b.db")
    try:
        assert store.dialect == "sqlite"
        with store._engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()


def test_two_stores_on_one_sqlite_file_see_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/b.db"
    with Store(url) as first, Store(url) as second:
        first.migrate()
        second.migrate()
        first.upsert_tenants([tenant()])
        assert second.list_tenants() == [tenant()]


def test_in_memory_sqlite_is_one_database_shared_by_threads() -> None:
    with Store("sqlite://") as store:
        store.migrate()
        store.upsert_tenants([tenant()])
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(store.insert_readings([reading()])))
        thread.start()
        thread.join()
        assert seen == [1]
        assert store.count_readings("paris") == 1


def test_password_is_put_into_the_url_and_hidden() -> None:
    store = Store("postgresql+psycopg://beffroi@db.example:5432/beffroi", password="s3cret")
    try:
        assert store.dialect == "postgresql"
        assert store._engine.url.password == "s3cret"
        assert "s3cret" not in store.url
        assert "s3cret" not in repr(store)
    finally:
        store.close()


def test_plain_postgresql_url_uses_psycopg() -> None:
    with Store("postgresql://beffroi@db.example/beffroi") as store:
        assert store._engine.url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "invalid database URL: use sqlite:///PATH"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql+asyncpg://u@h/db", "unsupported PostgreSQL driver 'asyncpg'"),
        ("sqlite+aiosqlite:///x.db", "unsupported SQLite driver 'aiosqlite'"),
    ],
)
def test_a_bad_url_is_a_store_error(url: str, problem: str) -> None:
    with pytest.raises(StoreError, match=problem):
        Store(url)


def test_an_unreachable_postgres_is_a_store_error() -> None:
    store = Store("postgresql+psycopg://postgres@127.0.0.1:1/beffroi?connect_timeout=2", password="hidden-pw")
    try:
        with pytest.raises(StoreError, match="migrating the schema failed on postgresql: OperationalError") as caught:
            store.migrate()
        assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
        assert "hidden-pw" not in str(caught.value)
        with pytest.raises(StoreError, match="inserting readings failed"):
            store.insert_readings([reading()])
        with pytest.raises(StoreError, match="listing tenants failed"):
            store.list_tenants()
    finally:
        store.close()


@pytest.mark.postgres
def test_a_missing_postgres_database_is_a_store_error() -> None:
    require_service("postgres")
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database="beffroi_no_such_database")
    with Store(url.render_as_string(hide_password=False)) as store, pytest.raises(StoreError, match="does not exist"):
        store.list_tenants()


def test_an_unopenable_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/missing-dir/b.db") as store, pytest.raises(StoreError, match="unable to open"):
        store.migrate()


def test_a_missing_schema_says_so_on_every_path(store: Store, engine: sa.Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    try:
        with pytest.raises(StoreError, match=r"inserting readings failed.*run the migrations"):
            store.insert_readings([reading()])  # the driver-level fast path of each dialect
        with pytest.raises(StoreError, match=r"counting readings failed.*run the migrations"):
            store.count_readings("paris")
        with pytest.raises(StoreError, match=r"saving tenants failed.*run the migrations"):
            store.upsert_tenants([tenant()])
    finally:
        store.migrate()
    assert store.insert_readings([reading()]) == 1


def test_a_closed_store_refuses_work(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/b.db")
    store.migrate()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.insert_readings([reading(ts=T0)])
