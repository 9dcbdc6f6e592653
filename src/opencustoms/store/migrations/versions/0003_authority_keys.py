"""Authority signing keys: public part, validity and revocation (private keys live in files).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authority_keys",
        sa.Column("kid", sa.String(80), nullable=False),
        sa.Column("authority", sa.String(80), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("algorithm", sa.String(20), nullable=False),
        sa.Column("jwk", sa.JSON(), nullable=False),
        sa.Column("agreements", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_authority_keys"),
    )
    op.create_index("ix_authority_keys_authority", "authority_keys", ["authority"])


def downgrade() -> None:
    op.drop_index("ix_authority_keys_authority", "authority_keys")
    op.drop_table("authority_keys")
