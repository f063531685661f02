"""The store: SQLAlchemy Core tables, Alembic migrations and repositories, one code path for SQLite and PostgreSQL."""
