"""deals.source: where a stored deal came from, `bridge` (the EA) or `import` (a report the trader sent
with /import). An imported deal must not stand in for the EA's report of it: when the EA later sends a
ticket that only an import stored, the bridge still takes it as new (a withdrawal imported before the EA
reported it would otherwise never rescale the guard's peak), and the EA's copy replaces the imported one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deals", sa.Column("source", sa.String(8), nullable=False, server_default="bridge"))
    op.create_check_constraint("ck_deals_source", "deals", "source IN ('bridge', 'import')")


def downgrade() -> None:
    op.drop_constraint("ck_deals_source", "deals", type_="check")
    op.drop_column("deals", "source")
