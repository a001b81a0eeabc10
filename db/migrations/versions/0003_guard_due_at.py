"""guard_due_at: when the periodic worker must next look at an account; commands.issued: their order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account_state", sa.Column("guard_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_account_state_guard_due_at", "account_state", ["guard_due_at"])
    op.drop_index("ix_account_state_guard_status", table_name="account_state")
    # Commands issued in one transaction share created_at; `issued` keeps their order (close_all first).
    op.add_column("commands", sa.Column("issued", sa.BigInteger(), sa.Identity(), nullable=False))


def downgrade() -> None:
    op.drop_column("commands", "issued")
    op.create_index("ix_account_state_guard_status", "account_state", [sa.text("(guard->>'status')")])
    op.drop_index("ix_account_state_guard_due_at", table_name="account_state")
    op.drop_column("account_state", "guard_due_at")
