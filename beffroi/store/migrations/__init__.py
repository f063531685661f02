"""Alembic migrations of the store: `env.py` (run by Alembic), `script.py.mako` and `versions/`."""
