"""Import declarations: as lodged, with their assessment, history and rejections.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("importer", sa.String(40), nullable=False),
        sa.Column("declarant", sa.String(40), nullable=False),
        sa.Column("lodged_by", sa.String(40), nullable=True),
        sa.Column("lodged_by_org", sa.String(40), nullable=True),
        sa.Column("lodged_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.UniqueConstraint("reference", name="uq_declarations_reference"),
    )
    op.create_index("ix_declarations_importer", "declarations", ["importer"])
    op.create_index("ix_declarations_declarant", "declarations", ["declarant"])
    op.create_index("ix_declarations_lodged_by_org", "declarations", ["lodged_by_org"])
    op.create_index("ix_declarations_lodged_at", "declarations", ["lodged_at"])
    op.create_table(
        "declaration_events",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "declaration_id", sa.String(40), sa.ForeignKey("declarations.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.UniqueConstraint("declaration_id", "version", name="uq_declaration_events_version"),
    )
    op.create_table(
        "declaration_rejections",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(40), nullable=True),
        sa.Column("by_org", sa.String(40), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ix_declaration_rejections_at", "declaration_rejections", ["at"])


def downgrade() -> None:
    op.drop_index("ix_declaration_rejections_at", "declaration_rejections")
    op.drop_table("declaration_rejections")
    op.drop_table("declaration_events")
    for name in ("lodged_at", "lodged_by_org", "declarant", "importer"):
        op.drop_index(f"ix_declarations_{name}", "declarations")
    op.drop_table("declarations")
