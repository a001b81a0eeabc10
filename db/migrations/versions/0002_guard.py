"""guard: personal drawdown limit per account, command lookups by breach

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("personal_max_drawdown_percent", sa.Numeric(6, 2), nullable=True))
    op.create_index("ix_commands_account_status", "commands", ["account_id", "status"])
    op.create_index(
        "ix_account_state_guard_status", "account_state", [sa.text("(guard->>'status')")], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_account_state_guard_status", table_name="account_state")
    op.drop_index("ix_commands_account_status", table_name="commands")
    op.drop_column("accounts", "personal_max_drawdown_percent")
