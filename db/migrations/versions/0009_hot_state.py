"""account_state.rev orders the guard states of Postgres and of the Redis hot state (the higher holds
the newer); equity_history keeps one equity point per account and minute, written behind by the flusher

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-15 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account_state", sa.Column("rev", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "equity_history",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("equity", sa.Numeric(24, 8), nullable=False),
        sa.Column("balance", sa.Numeric(24, 8), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "minute"),
    )


def downgrade() -> None:
    op.drop_table("equity_history")
    op.drop_column("account_state", "rev")
