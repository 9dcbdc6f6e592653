"""Origin determinations, kept as a history (each re-run supersedes the one before).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "origin_determinations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("supersedes", sa.String(40), nullable=True),
        sa.Column("organisation_id", sa.String(40), nullable=True),
        sa.Column("agreement", sa.String(60), nullable=False),
        sa.Column("product_hs", sa.String(10), nullable=False),
        sa.Column("product_description", sa.Text(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("verdict", sa.String(30), nullable=False),
        sa.Column("criterion", sa.String(40), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("bom", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supersedes"],
            ["origin_determinations.id"],
            name="fk_origin_determinations_supersedes_origin_determinations",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_origin_determinations_organisation_id_organisations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_origin_determinations"),
        sa.UniqueConstraint("supersedes", name="uq_origin_determinations_supersedes"),
    )
    op.create_index(
        "ix_origin_determinations_organisation_id", "origin_determinations", ["organisation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_origin_determinations_organisation_id", "origin_determinations")
    op.drop_table("origin_determinations")
