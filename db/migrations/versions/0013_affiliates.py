"""affiliates (issue 11): referral codes, referrals, payments, the commission ledger, payouts, fraud cases
and bridge sightings (db/tables_affiliates.py; docs/affiliates.md says who writes what)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(24, 8)


def _user(name: str, nullable: bool = False, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), sa.ForeignKey("users.id"), nullable=nullable, **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    op.create_table(
        "referral_codes",
        _user("user_id", primary_key=True),
        sa.Column("code", sa.String(48), nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("banned_at", TIME, nullable=True),
        sa.Column("ban_reason", sa.String(200), nullable=True),
    )
    op.create_table(
        "referrals",
        _user("referee_user_id", primary_key=True),
        _user("referrer_user_id"),
        sa.Column("code", sa.String(48), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_referrals_referrer_user_id", "referrals", ["referrer_user_id"])
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        _user("user_id", nullable=True),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("plan", sa.String(32), nullable=True),
        sa.Column("period_start", TIME, nullable=False),
        sa.Column("period_end", TIME, nullable=False),
        sa.Column("payer_fingerprint", sa.String(128), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("ledgered_at", TIME, nullable=True),
        sa.UniqueConstraint("source", "external_id", name="uq_payments_source_external_id"),
        sa.CheckConstraint("source IN ('stars', 'external')", name="ck_payments_source"),
        sa.CheckConstraint("type IN ('paid', 'renewed', 'refunded', 'chargeback')", name="ck_payments_type"),
        sa.CheckConstraint("amount >= 0", name="ck_payments_amount"),
    )
    op.create_index("ix_payments_telegram_id", "payments", ["telegram_id"])
    op.create_index("ix_payments_user_id", "payments", ["user_id"])
    op.create_index("ix_payments_unledgered", "payments", ["id"], postgresql_where=sa.text("ledgered_at IS NULL"))
    op.create_table(
        "payouts",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        _user("affiliate_user_id"),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("reference", sa.String(128), nullable=True),
        sa.UniqueConstraint("affiliate_user_id", "period", "currency", name="uq_payouts_affiliate_period_currency"),
        sa.CheckConstraint("amount > 0", name="ck_payouts_amount_positive"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'unknown')", name="ck_payouts_status"),
    )
    op.create_index("ix_payouts_affiliate_user_id", "payouts", ["affiliate_user_id"])
    op.create_table(
        "commission_lines",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        _user("affiliate_user_id"),
        _user("referee_user_id", nullable=True),
        sa.Column("payment_id", sa.BigInteger(), sa.ForeignKey("payments.id"), nullable=True),
        sa.Column(
            "reverses_line_id", sa.BigInteger(), sa.ForeignKey("commission_lines.id"), nullable=True, unique=True
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("rule_version", sa.String(64), nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("earned_at", TIME, nullable=False),
        sa.Column("payable_at", TIME, nullable=False),
        sa.Column("payout_id", sa.BigInteger(), sa.ForeignKey("payouts.id"), nullable=True),
    )
    op.create_index(
        "ix_commission_lines_unpaid",
        "commission_lines",
        ["affiliate_user_id"],
        postgresql_where=sa.text("payout_id IS NULL"),
    )
    op.create_index("ix_commission_lines_payout_id", "commission_lines", ["payout_id"])
    # append-only: the amount, owner and maturity of a line never change; only a payout may take it, once
    op.execute(
        """
        CREATE FUNCTION commission_lines_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'commission_lines is append-only';
            END IF;
            IF OLD.payout_id IS NOT NULL OR NEW.payout_id IS NULL
               OR (to_jsonb(NEW) - 'payout_id') IS DISTINCT FROM (to_jsonb(OLD) - 'payout_id') THEN
                RAISE EXCEPTION 'commission_lines is append-only: only an unpaid line''s payout_id may be set';
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER commission_lines_append_only BEFORE UPDATE OR DELETE ON commission_lines
            FOR EACH ROW EXECUTE FUNCTION commission_lines_append_only();
        """
    )
    op.create_table(
        "fraud_cases",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        _user("affiliate_user_id"),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("score", sa.Numeric(8, 2), nullable=False),
        sa.Column("signals", JSONB(), nullable=False),
        sa.Column("rule_version", sa.String(64), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(200), nullable=True),
        sa.CheckConstraint("status IN ('open', 'confirmed', 'cleared')", name="ck_fraud_cases_status"),
    )
    op.create_index("ix_fraud_cases_affiliate_user_id", "fraud_cases", ["affiliate_user_id"])
    op.create_index(
        "uq_fraud_cases_open_affiliate",
        "fraud_cases",
        ["affiliate_user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "bridge_sightings",
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("ip", sa.String(45), primary_key=True),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
    )
    op.create_index("ix_bridge_sightings_ip", "bridge_sightings", ["ip"])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS commission_lines_append_only ON commission_lines")
    op.execute("DROP FUNCTION IF EXISTS commission_lines_append_only()")
    for table in ("bridge_sightings", "fraud_cases", "commission_lines", "payouts", "payments", "referrals"):
        op.drop_table(table)
    op.drop_table("referral_codes")
