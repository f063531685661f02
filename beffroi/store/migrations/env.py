"""Alembic's entry point for the store's migrations.

`beffroi.store.migrator` runs it programmatically, handing over an open connection in
`config.attributes["connection"]`. Run from the `alembic` command line instead, it connects to the
`sqlalchemy.url` main option (online) or writes the SQL for that URL's dialect (offline, `--sql`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from beffroi.store.tables import metadata


def _run_on(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the connection handed over, or a new one to the configured URL."""
    connection = context.config.attributes.get("connection")
    if isinstance(connection, sa.Connection):
        _run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection handed over and no sqlalchemy.url option set")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as new_connection:
            _run_on(new_connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """Write the migration SQL for the configured URL's dialect instead of running it."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
