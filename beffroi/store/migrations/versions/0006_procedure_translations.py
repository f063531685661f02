"""Procedure steps keep their texts in several languages: the language of the step's texts, and their translations
(the step's, and the procedure's title) in the console's other languages. Steps saved before read as English with
no translation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "incident_procedure_steps"
NO_TRANSLATION = sa.text("'{}'")


def upgrade() -> None:
    """Add the language, procedure_translations and translations columns to incident_procedure_steps."""
    op.add_column(TABLE, sa.Column("language", sa.String(), nullable=False, server_default="en"))
    op.add_column(TABLE, sa.Column("procedure_translations", sa.JSON(), nullable=False, server_default=NO_TRANSLATION))
    op.add_column(TABLE, sa.Column("translations", sa.JSON(), nullable=False, server_default=NO_TRANSLATION))


def downgrade() -> None:
    """Drop them (the texts in the procedure's language stay)."""
    for column in ("translations", "procedure_translations", "language"):
        op.drop_column(TABLE, column)
