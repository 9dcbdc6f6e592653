"""Paying or securing declarations: the ledger of payments and refunds, guarantee
accounts and their draws.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declaration_ledger",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "declaration_id", sa.String(40), sa.ForeignKey("declarations.id"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(40), nullable=True),
        sa.Column("reference", sa.String(200), nullable=False),
    )
    op.create_index("ix_declaration_ledger_declaration", "declaration_ledger", ["declaration_id"])
    op.create_table(
        "guarantees",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("limit_amount", sa.String(40), nullable=False),
        sa.Column("drawn_amount", sa.String(40), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_guarantees_holder", "guarantees", ["holder"])
    op.create_table(
        "guarantee_draws",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("guarantee_id", sa.String(40), sa.ForeignKey("guarantees.id"), nullable=False),
        sa.Column(
            "declaration_id", sa.String(40), sa.ForeignKey("declarations.id"), nullable=False
        ),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("released_at", TS, nullable=True),
    )
    op.create_index("ix_guarantee_draws_declaration", "guarantee_draws", ["declaration_id"])
    op.create_index("ix_guarantee_draws_guarantee", "guarantee_draws", ["guarantee_id"])


def downgrade() -> None:
    op.drop_index("ix_guarantee_draws_guarantee", "guarantee_draws")
    op.drop_index("ix_guarantee_draws_declaration", "guarantee_draws")
    op.drop_table("guarantee_draws")
    op.drop_index("ix_guarantees_holder", "guarantees")
    op.drop_table("guarantees")
    op.drop_index("ix_declaration_ledger_declaration", "declaration_ledger")
    op.drop_table("declaration_ledger")
