"""Database tables. Alembic migrations create them; a test proves the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: stored in UTC, read back aware in UTC on every engine.

    SQLite keeps no time zone, so values go in as naive UTC and come back
    tagged UTC; a naive datetime from the code is refused, never guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: instants are stored in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "organisation_id", String(40), ForeignKey("organisations.id"), nullable=False, index=True
    ),
    Column("name", String(200), nullable=False),
    Column("roles", String(200), nullable=False),  # space-separated role names
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

mandates = Table(
    "mandates",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("importer_id", String(40), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("broker_id", String(40), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("granted_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(80), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(80), nullable=False),
    Column("organisation_id", String(40), nullable=True, index=True),
    Column("actor_account_id", String(40), nullable=True),
    Column("actor_organisation_id", String(40), nullable=True),
    Column("request_id", String(80), nullable=True),
    Column("details", JSON, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
)

# Origin determinations: a history, never updated. Re-running one after a rule
# change or an expired declaration adds a row that supersedes the previous one.
origin_determinations = Table(
    "origin_determinations",
    metadata,
    Column("id", String(40), primary_key=True),
    # unique: a record has at most one successor, even when two re-runs race
    Column(
        "supersedes",
        String(40),
        ForeignKey("origin_determinations.id"),
        nullable=True,
        unique=True,
    ),
    Column(
        "organisation_id", String(40), ForeignKey("organisations.id"), nullable=True, index=True
    ),
    Column("agreement", String(60), nullable=False),
    Column("product_hs", String(10), nullable=False),
    Column("product_description", Text(), nullable=False),
    Column("on_date", Date(), nullable=False),
    Column("verdict", String(30), nullable=False),
    Column("criterion", String(40), nullable=True),
    Column("rule", Text(), nullable=True),  # compared whole by a re-run: never cut
    Column("bom", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

authority_keys = Table(
    "authority_keys",
    metadata,
    Column("kid", String(80), primary_key=True),
    Column("authority", String(80), nullable=False, index=True),
    Column("country", String(2), nullable=False),
    Column("algorithm", String(20), nullable=False),
    Column("jwk", JSON, nullable=False),  # the public members only: no private key here
    Column("agreements", JSON, nullable=False),
    Column("valid_from", Date(), nullable=False),
    Column("valid_to", Date(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revocation_reason", Text(), nullable=True),
)

# Certificates of origin: the current state of each, and its history, appended to only.
certificates = Table(
    "certificates",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "organisation_id", String(40), ForeignKey("organisations.id"), nullable=True, index=True
    ),
    Column("authority", String(40), nullable=False),
    Column("number", String(80), nullable=True),  # given at issue
    Column("form", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("export_country", String(2), nullable=False, index=True),
    Column("certificate", JSON, nullable=False),  # the data set, as certificates/io.py writes it
    Column("signed", JSON, nullable=True),  # the signed document, once issued
    Column("payload_sha256", String(64), nullable=True),
    Column("seal", Text(), nullable=True),
    Column("issued_at", UtcDateTime(), nullable=True),
    Column("determinations", JSON, nullable=False),  # item number -> origin determination id
    Column("replaces_id", String(40), ForeignKey("certificates.id"), nullable=True),
    Column("replaced_by_id", String(40), ForeignKey("certificates.id"), nullable=True),
    Column("reason", Text(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # a number names one certificate of its authority, for good
    UniqueConstraint("authority", "number", name="uq_certificates_authority_number"),
)

certificate_events = Table(
    "certificate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("certificate_id", String(40), ForeignKey("certificates.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_account_id", String(40), nullable=True),
    Column("details", JSON, nullable=False),
    UniqueConstraint("certificate_id", "seq", name="uq_certificate_events_certificate_id"),
)

certificate_sequences = Table(
    "certificate_sequences",
    metadata,
    Column("authority", String(40), primary_key=True),
    Column("scope", String(10), primary_key=True),  # the year, or "" for one running sequence
    Column("last", Integer, nullable=False),
)

# Partner nodes of the origin data exchange (their keys are in authority_keys).
partners = Table(
    "partners",
    metadata,
    Column("node", String(40), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("name", String(200), nullable=False),
    Column("url", String(300), nullable=False),
    Column("links", JSON, nullable=False),  # [{"agreement", "messages", "reply_days"}]
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

# Messages to partner nodes, each with where its delivery stands (see exchange/outbox.py).
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(80), primary_key=True),  # the message id
    Column("receiver", String(40), nullable=False),
    Column("type", String(80), nullable=False),
    Column("subject", String(120), nullable=True),  # AUTHORITY/NUMBER of ordered messages
    Column("seq", Integer, nullable=True),
    Column("envelope", JSON, nullable=False),  # unsigned: each attempt signs it afresh
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    # a worker delivering it: until when, and its claim's token (a re-drive or a second
    # worker that took it after the lease ran out cannot be overwritten by the first)
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("claim", String(40), nullable=True),
    Column("ack_outcome", String(20), nullable=True),
    Column("ack_reasons", JSON, nullable=True),
    Column("acknowledged_at", UtcDateTime(), nullable=True),
    UniqueConstraint("receiver", "subject", "seq", name="uq_outbox_receiver"),
)
Index("ix_outbox_state", outbox.c.state, outbox.c.next_attempt_at)

# The last seq given per receiver and certificate: kept apart from the messages, so that
# archiving delivered messages never restarts a certificate's numbering.
outbox_sequences = Table(
    "outbox_sequences",
    metadata,
    Column("receiver", String(40), primary_key=True),
    Column("subject", String(120), primary_key=True),
    Column("last", Integer, nullable=False),
)

# Messages received from partner nodes, kept once per (sender, id) (see exchange/inbox.py).
inbox = Table(
    "inbox",
    metadata,
    Column("sender", String(40), primary_key=True),
    Column("id", String(80), primary_key=True),
    Column("type", String(80), nullable=False),
    Column("subject", String(120), nullable=True),
    Column("seq", Integer, nullable=True),
    Column("envelope", JSON, nullable=False),  # as signed at the attempt that arrived
    Column("digest", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=True),
    Column("pulled_at", UtcDateTime(), nullable=True),  # its gap was pulled from the sender
)
Index("ix_inbox_subject", inbox.c.sender, inbox.c.subject, inbox.c.seq)
Index("ix_inbox_received_at", inbox.c.received_at)

# The last seq applied per sender and certificate: the next to apply is the one after.
inbox_sequences = Table(
    "inbox_sequences",
    metadata,
    Column("sender", String(40), primary_key=True),
    Column("subject", String(120), primary_key=True),
    Column("applied", Integer, nullable=False),
)

# Certificates received from partner nodes (see certificates/received.py).
received_certificates = Table(
    "received_certificates",
    metadata,
    Column("authority", String(40), primary_key=True),
    Column("number", String(60), primary_key=True),
    Column("sender", String(40), nullable=False),
    Column("form", String(40), nullable=False),
    Column("export_country", String(2), nullable=False),
    Column("import_country", String(2), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("document", JSON, nullable=False),
    Column("payload_sha256", String(64), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("message_id", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    Column("replaced_by", String(60), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
)
Index("ix_received_certificates_received_at", received_certificates.c.received_at)

# Verification requests, on the side that asked and on the side asked (exchange/verification.py).
verifications = Table(
    "verifications",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("side", String(20), primary_key=True),
    Column("partner", String(40), nullable=False),
    Column("authority", String(40), nullable=False),
    Column("number", String(60), nullable=False),
    Column("questions", JSON, nullable=False),
    Column("documents", JSON, nullable=False),
    Column("reply_by", Date, nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("state", String(20), nullable=False),
    Column("outcome", String(20), nullable=True),
    Column("findings", JSON, nullable=False),
    Column("answer_documents", JSON, nullable=False),
    Column("answered_at", UtcDateTime(), nullable=True),
    Column("response_id", String(80), nullable=True),
    Column("overdue_alerted_at", UtcDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
)
Index("ix_verifications_state", verifications.c.state, verifications.c.reply_by)

Index("ix_certificates_created_at", certificates.c.created_at)
Index("ix_audit_events_at", audit_events.c.at)

# Import declarations: the declaration as lodged and its assessment (JSON documents), the
# columns the node finds them by, every change as an event, and the rejections.
declarations = Table(
    "declarations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("reference", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("declared_on", Date, nullable=False),
    Column("office", String(8), nullable=False),
    Column("importer", String(40), nullable=False),
    Column("declarant", String(40), nullable=False),
    Column("lodged_by", String(40), nullable=True),
    Column("lodged_by_org", String(40), nullable=True),
    Column("lodged_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("document", JSON, nullable=False),
    Column("assessment", JSON, nullable=False),
    UniqueConstraint("reference", name="uq_declarations_reference"),
)
Index("ix_declarations_importer", declarations.c.importer)
Index("ix_declarations_declarant", declarations.c.declarant)
Index("ix_declarations_lodged_by_org", declarations.c.lodged_by_org)
Index("ix_declarations_lodged_at", declarations.c.lodged_at)

declaration_events = Table(
    "declaration_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("declaration_id", String(40), ForeignKey("declarations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(40), nullable=True),
    Column("reason", Text, nullable=True),
    Column("document", JSON, nullable=False),
    Column("assessment", JSON, nullable=False),
    UniqueConstraint("declaration_id", "version", name="uq_declaration_events_version"),
)

declaration_rejections = Table(
    "declaration_rejections",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("reference", String(40), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(40), nullable=True),
    Column("by_org", String(40), nullable=True),
    Column("findings", JSON, nullable=False),
    Column("source", String(200), nullable=False),
)
Index("ix_declaration_rejections_at", declaration_rejections.c.at)

# Paying or securing what a declaration owes: the ledger of payments and refunds, the
# importers' guarantee accounts, and the draws on them. Amounts are exact decimal text.
declaration_ledger = Table(
    "declaration_ledger",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("declaration_id", String(40), ForeignKey("declarations.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(40), nullable=True),
    Column("reference", String(200), nullable=False),
)
Index("ix_declaration_ledger_declaration", declaration_ledger.c.declaration_id)

guarantees = Table(
    "guarantees",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("holder", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("limit_amount", String(40), nullable=False),
    Column("drawn_amount", String(40), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
)
Index("ix_guarantees_holder", guarantees.c.holder)

guarantee_draws = Table(
    "guarantee_draws",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("guarantee_id", String(40), ForeignKey("guarantees.id"), nullable=False),
    Column("declaration_id", String(40), ForeignKey("declarations.id"), nullable=False),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("released_at", UtcDateTime(), nullable=True),
)
Index("ix_guarantee_draws_declaration", guarantee_draws.c.declaration_id)
Index("ix_guarantee_draws_guarantee", guarantee_draws.c.guarantee_id)

# Preference decisions: each claim's outcome with its reasons; a review's decision is a
# new row and the one it supersedes stays, no longer current.
preference_decisions = Table(
    "preference_decisions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("declaration_id", String(40), ForeignKey("declarations.id"), nullable=False),
    Column("item", Integer, nullable=False),
    Column("rate_type", String(8), nullable=False),
    Column("proof_kind", String(24), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("authority", String(64), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("certificate_item", Integer, nullable=True),
    Column("quantity", String(40), nullable=True),
    Column("unit", String(16), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("decided_by", String(40), nullable=True),
    Column("current", Boolean, nullable=False),
)
Index("ix_preference_decisions_declaration", preference_decisions.c.declaration_id)
Index("ix_preference_decisions_certificate", preference_decisions.c.reference)
