"""Acknowledgements recorded on the outbox's messages, verification requests and their
answers (both sides), and the pulls a node sends when a gap in a certificate's messages
lasts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("ack_outcome", sa.String(20), nullable=True))
        batch.add_column(sa.Column("ack_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", TS, nullable=True))
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("pulled_at", TS, nullable=True))
    op.create_table(
        "verifications",
        sa.Column("id", sa.String(80), nullable=False),  # the request's message id
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("partner", sa.String(40), nullable=False),
        sa.Column("authority", sa.String(40), nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("answer_documents", sa.JSON(), nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("response_id", sa.String(80), nullable=True),
        sa.Column("overdue_alerted_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", "side", name="pk_verifications"),
    )
    op.create_index("ix_verifications_state", "verifications", ["state", "reply_by"])


def downgrade() -> None:
    op.drop_index("ix_verifications_state", "verifications")
    op.drop_table("verifications")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("pulled_at")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("acknowledged_at")
        batch.drop_column("ack_reasons")
        batch.drop_column("ack_outcome")
