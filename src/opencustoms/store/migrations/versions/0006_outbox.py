"""The outbox of the origin data exchange: messages to partner nodes, their delivery, and
the last seq given per receiver and certificate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("receiver", sa.String(40), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(120), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("receiver", "subject", "seq", name="uq_outbox_receiver"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "outbox_sequences",
        sa.Column("receiver", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("receiver", "subject", name="pk_outbox_sequences"),
    )


def downgrade() -> None:
    op.drop_table("outbox_sequences")
    op.drop_index("ix_outbox_state", "outbox")
    op.drop_table("outbox")
