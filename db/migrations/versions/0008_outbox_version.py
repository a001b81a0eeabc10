"""outbox.version: the shape of an alert's payload (core.domain.alerts.registry); the rows already
there are version 1, the shape alerts had before they were typed, and still render after the deploy

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("version", sa.SmallInteger(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("outbox", "version")
