"""Preference decisions: each claim's outcome and reasons, with the history of reviews.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preference_decisions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "declaration_id", sa.String(40), sa.ForeignKey("declarations.id"), nullable=False
        ),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("rate_type", sa.String(8), nullable=False),
        sa.Column("proof_kind", sa.String(24), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("authority", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("certificate_item", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.String(40), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_preference_decisions_declaration", "preference_decisions", ["declaration_id"]
    )
    op.create_index("ix_preference_decisions_certificate", "preference_decisions", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_preference_decisions_certificate", "preference_decisions")
    op.drop_index("ix_preference_decisions_declaration", "preference_decisions")
    op.drop_table("preference_decisions")
