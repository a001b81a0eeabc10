"""audit_log: one global chain and erasable personal data (issue 13).

`chain_prev` is the hash of the previous row by id (NULL on rows written before, `version` 1); `version` 2
rows hash `chain_prev` and `personal_digest`, and keep personal values in `personal`, the one column the
append-only trigger lets become NULL (erasure), and nothing else. Expand only: the previous release keeps
writing version-1 rows (per-subject chain) while it runs, and they still verify.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain_prev", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("version", sa.SmallInteger(), nullable=False, server_default="1"))
    op.add_column("audit_log", sa.Column("personal", JSONB(), nullable=True))
    op.add_column("audit_log", sa.Column("personal_digest", sa.String(64), nullable=True))
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
    )
    op.execute(
        """
        CREATE FUNCTION audit_log_erase_only() RETURNS trigger AS $$
        BEGIN
            IF NEW.personal IS NULL AND (to_jsonb(NEW) - 'personal') = (to_jsonb(OLD) - 'personal') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only: UPDATE refused (only personal may become NULL)';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_erase_only BEFORE UPDATE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_erase_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_erase_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_erase_only()")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
    )
    for column in ("personal_digest", "personal", "version", "chain_prev"):
        op.drop_column("audit_log", column)
