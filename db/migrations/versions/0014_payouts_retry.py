"""payouts: one LIVE payout per affiliate, period and currency. The unique constraint counted failed
payouts too, so after a payout failed the same month's retry hit the key and paid nothing (while the
/payouts preview said it would pay) until the next month. A partial unique index that leaves failed
payouts out lets the month be paid again, once: a pending, unknown or sent payout still holds the key.

Downgrade restores the constraint; it fails while a month has a failed payout and its retry.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["affiliate_user_id", "period", "currency"]


def upgrade() -> None:
    op.create_index(
        "uq_payouts_live_affiliate_period_currency",
        "payouts",
        COLUMNS,
        unique=True,
        postgresql_where=sa.text("status <> 'failed'"),
    )
    op.drop_constraint("uq_payouts_affiliate_period_currency", "payouts", type_="unique")


def downgrade() -> None:
    op.create_unique_constraint("uq_payouts_affiliate_period_currency", "payouts", COLUMNS)
    op.drop_index("uq_payouts_live_affiliate_period_currency", "payouts")
