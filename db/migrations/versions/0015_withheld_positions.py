"""withheld_positions: the positions of wash volume the fraud scan found (account, position, the rule that
named it, when first found). The scan upserts them on every run; the ledger pays no per-lot rebate on them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "withheld_positions",
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("position_id", sa.BigInteger(), primary_key=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("withheld_positions")
