"""signals: the operator's signals, their delivery to each account, the trades they make us expect, and
how each user's accounts follow signals (users.signal_mode)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(24, 8)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("signal_mode", sa.String(8), nullable=False, server_default="approve")
    )
    op.create_check_constraint(
        "ck_users_signal_mode", "users", "signal_mode IN ('auto', 'approve', 'off')"
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.String(28), primary_key=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("volume", MONEY, nullable=True),
        sa.Column("risk_percent", sa.Numeric(8, 4), nullable=True),
        sa.Column("sl", MONEY, nullable=True),
        sa.Column("tp", MONEY, nullable=True),
        sa.Column("entry", MONEY, nullable=True),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("received_at", TIME, nullable=False),
        sa.CheckConstraint("(volume IS NULL) <> (risk_percent IS NULL)", name="ck_signals_one_size"),
    )
    op.create_table(
        "signal_deliveries",
        sa.Column("signal_id", sa.String(28), sa.ForeignKey("signals.id"), primary_key=True),
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(20), nullable=True),
        sa.Column("volume", MONEY, nullable=True),
        sa.Column("command_id", sa.String(40), sa.ForeignKey("commands.id"), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("decided_at", TIME, nullable=True),
    )
    op.create_index("ix_signal_deliveries_account_id", "signal_deliveries", ["account_id"])
    op.create_table(
        "expected_trades",
        sa.Column("command_id", sa.String(40), sa.ForeignKey("commands.id"), primary_key=True),
        sa.Column("signal_id", sa.String(28), sa.ForeignKey("signals.id"), nullable=False),
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("volume", MONEY, nullable=False),
        sa.Column("entry", MONEY, nullable=True),
        sa.Column("sl", MONEY, nullable=True),
        sa.Column("tp", MONEY, nullable=True),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("queued_at", TIME, nullable=False),
        sa.Column("ticket", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("signal_id", "account_id", name="uq_expected_trades_signal_account"),
    )
    op.create_index("ix_expected_trades_account_id", "expected_trades", ["account_id"])


def downgrade() -> None:
    op.drop_table("expected_trades")
    op.drop_table("signal_deliveries")
    op.drop_table("signals")
    op.drop_constraint("ck_users_signal_mode", "users")
    op.drop_column("users", "signal_mode")
