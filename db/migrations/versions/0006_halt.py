"""halts: the global halt (/halt, /resume); the database refuses an open_position while one is open

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "halts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("halted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("halted_by", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_by", sa.String(64), nullable=True),
    )
    # At most one halt is open at a time.
    op.create_index(
        "uq_halts_one_open",
        "halts",
        [sa.text("(resumed_at IS NULL)")],
        unique=True,
        postgresql_where=sa.text("resumed_at IS NULL"),
    )
    # The last word, whoever writes to `commands`: an open_position is refused while a halt is open
    # (core.domain.halt.STOPPED_BY_HALT; a test checks the two agree). The shared lock waits for a /halt
    # being committed (db.repositories.halt takes it exclusively), and the check after it sees that
    # halt: a PL/pgSQL function's queries each take a fresh snapshot.
    op.execute(
        """
        CREATE FUNCTION commands_refuse_while_halted() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(7307, 1);
            IF EXISTS (SELECT 1 FROM halts WHERE resumed_at IS NULL) THEN
                RAISE EXCEPTION 'trading is halted: % refused', NEW.type USING ERRCODE = 'TGH01';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql VOLATILE
        """
    )
    op.execute(
        "CREATE TRIGGER commands_halted BEFORE INSERT ON commands FOR EACH ROW "
        "WHEN (NEW.type = 'open_position') EXECUTE FUNCTION commands_refuse_while_halted()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER commands_halted ON commands")
    op.execute("DROP FUNCTION commands_refuse_while_halted()")
    op.drop_index("uq_halts_one_open", table_name="halts")
    op.drop_table("halts")
