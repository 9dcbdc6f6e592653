"""Who may do what, and who may see which organisation's objects.

Roles follow the parties of the customs process: a customs administration
(per country) with its officers and auditors, issuing authorities that
certify origin, exporters/producers, importers and the brokers (customs
declarants) acting for them under a recorded mandate. Anyone else is the
public, who may only read public reference data such as the HS.

Access is denied by default: a permission not granted to one of the
account's roles is refused. Object-level visibility is decided here too, so
every edge asks the same question the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, InvalidInput


class OrgKind(StrEnum):
    CUSTOMS_ADMINISTRATION = "customs_administration"
    ISSUING_AUTHORITY = "issuing_authority"
    EXPORTER = "exporter"  # exporter or producer
    IMPORTER = "importer"
    BROKER = "broker"


class Role(StrEnum):
    CUSTOMS_ADMIN = "customs_admin"
    CUSTOMS_OFFICER = "customs_officer"
    AUDITOR = "auditor"
    ISSUING_OFFICER = "issuing_officer"
    EXPORTER = "exporter"
    IMPORTER = "importer"
    BROKER = "broker"


class Permission(StrEnum):
    HS_READ = "hs:read"
    ORIGIN_READ = "origin:read"  # agreements and their rules: public law
    # keep, list and re-run the organisation's own origin determinations
    ORIGIN_DETERMINATIONS = "origin:determinations"
    ACCOUNT_SELF_READ = "account:self:read"
    ORG_READ = "organisation:read"
    ORG_CREATE = "organisation:create"
    ACCOUNT_CREATE = "account:create"
    MANDATE_GRANT = "mandate:grant"
    MANDATE_READ = "mandate:read"
    AUDIT_READ = "audit:read"
    CERT_APPLY = "certificates:apply"  # an exporter's or producer's applications
    CERT_READ = "certificates:read"  # track: one's own, or one's jurisdiction's
    CERT_ISSUE = "certificates:issue"  # issue, reject, replace, revoke
    CERT_VERIFY = "certificates:verify"  # anyone may check a certificate
    PARTNERS_READ = "exchange:partners:read"  # the partner nodes this node exchanges with
    PARTNERS_MANAGE = "exchange:partners:manage"  # add, change, deactivate them
    EXCHANGE_READ = "exchange:read"  # messages in and out, verifications, overdue alerts
    # the importing side: tell the issuing country a preference was applied or denied, and
    # ask it to verify a certificate
    EXCHANGE_NOTIFY = "exchange:notify"
    EXCHANGE_ANSWER = "exchange:answer"  # the issuing side: answer a verification request
    EXCHANGE_OPERATE = "exchange:operate"  # re-drive dead-lettered messages
    DECLARATION_LODGE = "declarations:lodge"  # lodge, amend, cancel: importers and brokers
    DECLARATION_READ = "declarations:read"  # one's own, or (with ALL) every one
    DECLARATION_ALL = "declarations:all"  # customs staff see every declaration lodged here
    PAYMENT_RECORD = "payments:record"  # the treasury's notices of payment, by customs staff
    GUARANTEE_MANAGE = "guarantees:manage"  # open importers' guarantee accounts
    GUARANTEE_READ = "guarantees:read"  # one's own (or, for customs staff, every one)
    PREFERENCE_DECIDE = "preferences:decide"  # decide claims in documentary review


PUBLIC_PERMISSIONS = frozenset({Permission.HS_READ, Permission.ORIGIN_READ, Permission.CERT_VERIFY})
_EVERY_ACCOUNT = PUBLIC_PERMISSIONS | {Permission.ACCOUNT_SELF_READ, Permission.ORG_READ}

_DECLARE = frozenset(
    {Permission.DECLARATION_LODGE, Permission.DECLARATION_READ, Permission.GUARANTEE_READ}
)
_CUSTOMS_READ = frozenset(
    {Permission.DECLARATION_READ, Permission.DECLARATION_ALL, Permission.GUARANTEE_READ}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMS_ADMIN: _EVERY_ACCOUNT
    | {
        Permission.ORG_CREATE,
        Permission.ACCOUNT_CREATE,
        Permission.AUDIT_READ,
        Permission.PARTNERS_READ,
        Permission.PARTNERS_MANAGE,
        Permission.EXCHANGE_READ,
        Permission.EXCHANGE_OPERATE,
        Permission.PAYMENT_RECORD,
        Permission.GUARANTEE_MANAGE,
    }
    | _CUSTOMS_READ,
    Role.CUSTOMS_OFFICER: _EVERY_ACCOUNT
    | {
        Permission.PARTNERS_READ,
        Permission.EXCHANGE_READ,
        Permission.EXCHANGE_NOTIFY,
        Permission.PAYMENT_RECORD,
        Permission.PREFERENCE_DECIDE,
    }
    | _CUSTOMS_READ,
    Role.AUDITOR: _EVERY_ACCOUNT
    | {Permission.AUDIT_READ, Permission.PARTNERS_READ, Permission.EXCHANGE_READ}
    | _CUSTOMS_READ,
    Role.ISSUING_OFFICER: _EVERY_ACCOUNT
    | {
        Permission.ORIGIN_DETERMINATIONS,
        Permission.CERT_READ,
        Permission.CERT_ISSUE,
        Permission.EXCHANGE_READ,
        Permission.EXCHANGE_ANSWER,
    },
    Role.EXPORTER: _EVERY_ACCOUNT
    | {Permission.ORIGIN_DETERMINATIONS, Permission.CERT_APPLY, Permission.CERT_READ},
    Role.IMPORTER: _EVERY_ACCOUNT | {Permission.MANDATE_GRANT, Permission.MANDATE_READ} | _DECLARE,
    Role.BROKER: _EVERY_ACCOUNT | {Permission.MANDATE_READ} | _DECLARE,
}

# Which roles an account may hold in which kind of organisation.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.CUSTOMS_ADMINISTRATION: frozenset(
        {Role.CUSTOMS_ADMIN, Role.CUSTOMS_OFFICER, Role.AUDITOR}
    ),
    OrgKind.ISSUING_AUTHORITY: frozenset({Role.ISSUING_OFFICER}),
    OrgKind.EXPORTER: frozenset({Role.EXPORTER}),
    OrgKind.IMPORTER: frozenset({Role.IMPORTER}),
    OrgKind.BROKER: frozenset({Role.BROKER}),
}

_CUSTOMS_ROLES = frozenset({Role.CUSTOMS_ADMIN, Role.CUSTOMS_OFFICER, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    kind: OrgKind
    country: Country
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    organisation_id: str
    name: str
    roles: frozenset[Role]
    created_at: datetime
    active: bool = True


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    account_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class Mandate:
    """An importer's authorisation for a broker to declare on its behalf."""

    id: str
    importer_id: str
    broker_id: str
    granted_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an account in its organisation, or the anonymous public."""

    account: Account | None
    organisation: Organisation | None
    mandated_importers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def public(cls) -> Principal:
        return cls(None, None)

    @property
    def is_public(self) -> bool:
        return self.account is None

    @property
    def roles(self) -> frozenset[Role]:
        return self.account.roles if self.account else frozenset()

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set(PUBLIC_PERMISSIONS)
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def can_see(self, org: Organisation) -> bool:
        """Object-level visibility of an organisation and everything it owns."""
        return self.visibility().allows(org)

    def visibility(self) -> Visibility:
        """Which organisations this principal sees, as a value a store can query by."""
        own = self.organisation
        if own is None:
            return Visibility(ids=frozenset())
        if self.roles & _CUSTOMS_ROLES:
            # an administration sees the organisations under its jurisdiction
            return Visibility(ids=frozenset({own.id}), countries=frozenset({own.country}))
        if Role.ISSUING_OFFICER in self.roles:
            # an issuing authority sees the exporters it may certify
            return Visibility(
                ids=frozenset({own.id}),
                countries=frozenset({own.country}),
                kinds=frozenset({OrgKind.EXPORTER}),
            )
        if Role.BROKER in self.roles:
            return Visibility(ids=frozenset({own.id}) | self.mandated_importers)
        return Visibility(ids=frozenset({own.id}))


@dataclass(frozen=True, slots=True)
class Visibility:
    """Organisations visible: those listed, and those of `countries` (of `kinds`, if given)."""

    ids: frozenset[str]
    countries: frozenset[Country] = frozenset()
    kinds: frozenset[OrgKind] | None = None

    def allows(self, org: Organisation) -> bool:
        if org.id in self.ids:
            return True
        return org.country in self.countries and (self.kinds is None or org.kind in self.kinds)


def check_roles(kind: OrgKind, roles: Iterable[Role]) -> frozenset[Role]:
    chosen = frozenset(roles)
    if not chosen:
        raise InvalidInput.of(
            "account.no_role",
            N_("An account needs at least one role; for %(kind)s use %(allowed)s."),
            field="roles",
            kind=kind.value,
            allowed=", ".join(sorted(r.value for r in ROLES_BY_KIND[kind])),
        )
    wrong = chosen - ROLES_BY_KIND[kind]
    if wrong:
        raise InvalidInput.of(
            "account.role_not_allowed",
            N_("Role %(roles)s cannot be held in a %(kind)s organisation; use %(allowed)s."),
            field="roles",
            roles=", ".join(sorted(r.value for r in wrong)),
            kind=kind.value,
            allowed=", ".join(sorted(r.value for r in ROLES_BY_KIND[kind])),
        )
    return chosen


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value.strip().lower())
    except (ValueError, AttributeError):
        raise InvalidInput.of(
            "value.unknown",
            N_("'%(value)s' is not a valid %(field)s; use one of %(allowed)s."),
            field=field,
            value=str(value)[:64],
            allowed=", ".join(e.value for e in enum),
        ) from None


ID_PATTERN = re.compile(r"^[a-z]{3}_[0-9a-f]{20}$")


def is_id(value: str, prefix: str) -> bool:
    """Whether a value has the shape of an id of this kind ("org_…"): others match nothing."""
    return (
        isinstance(value, str) and value.startswith(f"{prefix}_") and bool(ID_PATTERN.match(value))
    )


def check_name(value: str, field: str = "name") -> str:
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if not name or len(name) > 200 or not name.isprintable():
        raise InvalidInput.of(
            "value.bad_name",
            N_("The %(field)s must be 1 to 200 printable characters long."),
            field=field,
        )
    return name
