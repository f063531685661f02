"""Fixtures of the store tests: a migrated `Store` on a fresh SQLite file and on PostgreSQL.

PostgreSQL gets one uniquely named database per test session (created and dropped through the admin URL);
its tables are emptied before each test. SQLite gets a copy of a file migrated once per session.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from beffroi.store.store import Store
from beffroi.store.tables import metadata
from tests.services import POSTGRES_ADMIN_URL, require_service


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, migrated PostgreSQL database for this session; dropped at the end."""
    require_service("postgres")
    admin_url = sa.make_url(POSTGRES_ADMIN_URL)
    name = f"beffroi_test_store_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        with Store(url) as store:
            store.migrate()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_url: str) -> Iterator[Callable[[], None]]:
    """Empties every table of the session's PostgreSQL database (DELETE: much faster than TRUNCATE on tiny tables)."""
    engine = sa.create_engine(postgres_url)

    def empty() -> None:
        with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())

    yield empty
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, copied for each test rather than migrated again."""
    path = tmp_path_factory.mktemp("store-template") / "beffroi.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store, once on a fresh SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "beffroi.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        opened = Store(f"sqlite:///{path}")
    else:
        request.getfixturevalue("postgres_cleaner")()
        opened = Store(request.getfixturevalue("postgres_url"))
    yield opened
    opened.close()


@pytest.fixture
def postgres_store(postgres_url: str, postgres_cleaner: Callable[[], None]) -> Iterator[Store]:
    """A migrated, empty store on PostgreSQL only, for what only PostgreSQL does."""
    postgres_cleaner()
    opened = Store(postgres_url)
    yield opened
    opened.close()


@pytest.fixture
def engine(store: Store) -> Iterator[sa.Engine]:
    """A plain SQLAlchemy engine on the store's database, for looking under the hood."""
    plain = sa.create_engine(store.url)
    yield plain
    plain.dispose()
