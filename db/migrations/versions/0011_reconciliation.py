"""reconciliation: the log of divergences (one row per deterministic id, resolved when a later pass no
longer finds it) and one row per account for its latest pass (what /reconcile and the sweep read)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "divergences",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("signal_id", sa.String(28), nullable=True),
        sa.Column("ticket", sa.BigInteger(), nullable=True),
        sa.Column("evidence", JSONB(), nullable=False),
        sa.Column("first_seen_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("resolved_at", TIME, nullable=True),
    )
    op.create_index(
        "ix_divergences_open", "divergences", ["account_id"], postgresql_where=sa.text("resolved_at IS NULL")
    )
    op.create_table(
        "reconciliation_passes",
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("reconciled_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=True),
        sa.Column("positions_digest", sa.String(64), nullable=False, server_default=""),
        sa.Column("open_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("critical_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_reconciliation_passes_due_at", "reconciliation_passes", ["due_at"])


def downgrade() -> None:
    op.drop_table("reconciliation_passes")
    op.drop_table("divergences")
