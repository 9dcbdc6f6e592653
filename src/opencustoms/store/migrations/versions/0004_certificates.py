"""Certificates of origin, their history, and number sequences per authority.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=True),
        sa.Column("authority", sa.String(40), nullable=False),
        sa.Column("number", sa.String(80), nullable=True),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("export_country", sa.String(2), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("seal", sa.Text(), nullable=True),
        sa.Column("issued_at", TS, nullable=True),
        sa.Column("determinations", sa.JSON(), nullable=False),
        sa.Column("replaces_id", sa.String(40), nullable=True),
        sa.Column("replaced_by_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_certificates_organisation_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["certificates.id"], name="fk_certificates_replaces_id_certificates"
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["certificates.id"],
            name="fk_certificates_replaced_by_id_certificates",
        ),
        sa.UniqueConstraint("authority", "number", name="uq_certificates_authority_number"),
    )
    op.create_index("ix_certificates_organisation_id", "certificates", ["organisation_id"])
    op.create_index("ix_certificates_export_country", "certificates", ["export_country"])
    op.create_index("ix_certificates_created_at", "certificates", ["created_at"])
    op.create_table(
        "certificate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("certificate_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_account_id", sa.String(40), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_events"),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name="fk_certificate_events_certificate_id_certificates",
        ),
        sa.UniqueConstraint("certificate_id", "seq", name="uq_certificate_events_certificate_id"),
    )
    op.create_table(
        "certificate_sequences",
        sa.Column("authority", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("authority", "scope", name="pk_certificate_sequences"),
    )


def downgrade() -> None:
    op.drop_table("certificate_sequences")
    op.drop_table("certificate_events")
    op.drop_index("ix_certificates_created_at", "certificates")
    op.drop_index("ix_certificates_export_country", "certificates")
    op.drop_index("ix_certificates_organisation_id", "certificates")
    op.drop_table("certificates")
