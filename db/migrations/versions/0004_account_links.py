"""An account is login and server, linked by one user; a second user may link the same pair (flagged);
`seq` belongs to the device that sent it, and a new secret is a new device.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("accounts_login_key", "accounts", type_="unique")
    op.create_unique_constraint("uq_accounts_user_login_server", "accounts", ["user_id", "login", "server"])
    op.create_index("ix_accounts_login_server", "accounts", ["login", "server"])
    op.add_column(
        "accounts", sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.drop_constraint("devices_account_id_key", "devices", type_="unique")
    op.create_index("ix_devices_account_id", "devices", ["account_id"])
    op.add_column("account_state", sa.Column("seq_device_id", sa.String(40), nullable=True))
    # Existing state was written by the account's one device: its seq stays that device's.
    op.execute(
        "UPDATE account_state SET seq_device_id = d.device_id FROM devices d "
        "WHERE d.account_id = account_state.account_id"
    )


def downgrade() -> None:
    op.drop_column("account_state", "seq_device_id")
    op.drop_index("ix_devices_account_id", table_name="devices")
    op.create_unique_constraint("devices_account_id_key", "devices", ["account_id"])
    op.drop_column("accounts", "shared")
    op.drop_index("ix_accounts_login_server", table_name="accounts")
    op.drop_constraint("uq_accounts_user_login_server", "accounts", type_="unique")
    op.create_unique_constraint("accounts_login_key", "accounts", ["login"])
