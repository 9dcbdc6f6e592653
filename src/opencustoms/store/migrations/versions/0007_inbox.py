"""The inbox of the origin data exchange (messages received, kept once, applied in order),
the register of certificates received from partner nodes, and the outbox's claims (a
worker's lease on a message while it delivers it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(120), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("applied_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("sender", "id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_subject", "inbox", ["sender", "subject", "seq"])
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])
    op.create_table(
        "inbox_sequences",
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender", "subject", name="pk_inbox_sequences"),
    )
    op.create_table(
        "received_certificates",
        sa.Column("authority", sa.String(40), nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("export_country", sa.String(2), nullable=False),
        sa.Column("import_country", sa.String(2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("message_id", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("replaced_by", sa.String(60), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("authority", "number", name="pk_received_certificates"),
    )
    op.create_index(
        "ix_received_certificates_received_at", "received_certificates", ["received_at"]
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_until", TS, nullable=True))
        batch.add_column(sa.Column("claim", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim")
        batch.drop_column("claimed_until")
    op.drop_index("ix_received_certificates_received_at", "received_certificates")
    op.drop_table("received_certificates")
    op.drop_table("inbox_sequences")
    op.drop_index("ix_inbox_received_at", "inbox")
    op.drop_index("ix_inbox_subject", "inbox")
    op.drop_table("inbox")
