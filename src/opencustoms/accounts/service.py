"""Use cases for organisations, accounts, tokens and mandates.

Each write runs in one unit of work with its audit event, and may carry an
idempotency key: a retried request with the same key returns the object the
first one created, and writes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from opencustoms.accounts.domain import (
    Account,
    ApiToken,
    Mandate,
    Organisation,
    OrgKind,
    Permission,
    Principal,
    Role,
    Visibility,
    check_name,
    check_roles,
    is_id,
)
from opencustoms.accounts.ports import UnitOfWork
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, DomainError, Finding, Forbidden, InvalidInput, NotFound
from opencustoms.kernel.ids import new_id
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse, check_key, replay

TOKEN_PREFIX = "oc_"  # noqa: S105 - a prefix, not a secret


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


class Unauthenticated(DomainError):
    status = 401


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts, and under which request id (for the audit log)."""

    principal: Principal | None  # None: the operator at the command line
    request_id: str | None = None

    def require(self, permission: Permission) -> None:
        if self.principal is not None and not self.principal.may(permission):
            raise Forbidden.of(
                "auth.forbidden",
                N_("Your role does not allow this (%(permission)s)."),
                permission=permission.value,
            )


OPERATOR = Context(principal=None)


def audit_event(
    ctx: Context,
    at: datetime,
    action: str,
    object_type: str,
    object_id: str,
    organisation_id: str | None,
    details: dict[str, Any],
) -> AuditEvent:
    """The audit entry for an action by whoever `ctx` names (None: the operator)."""
    p = ctx.principal
    return AuditEvent(
        id=new_id("aud"),
        at=at,
        action=action,
        object_type=object_type,
        object_id=object_id,
        organisation_id=organisation_id,
        actor_account_id=p.account.id if p and p.account else None,
        actor_organisation_id=p.organisation.id if p and p.organisation else None,
        request_id=ctx.request_id,
        details=details,
    )


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to keep them safe at rest."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountsService:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # ------------------------------------------------------------ reading
    def authenticate(self, token: str) -> Principal:
        now = self._clock.now()
        with self._uow() as uow:
            stored = uow.accounts.token_by_hash(hash_token(token.strip()))
            account = uow.accounts.account(stored.account_id) if stored else None
            if stored is None or account is None or not stored.usable_at(now) or not account.active:
                raise Unauthenticated.of(
                    "auth.invalid_token",
                    N_(
                        "The bearer token is unknown, expired or revoked; "
                        "ask your administrator for a new one."
                    ),
                )
            org = uow.accounts.organisation(account.organisation_id)
            mandated = frozenset(
                m.importer_id
                for m in uow.accounts.mandates_of_broker(account.organisation_id)
                if m.revoked_at is None
            )
            return Principal(account, org, mandated)

    def organisation(self, ctx: Context, org_id: str) -> Organisation:
        ctx.require(Permission.ORG_READ)
        with self._uow() as uow:
            return self._visible_org(uow, ctx, org_id)

    def organisations(
        self, ctx: Context, limit: int | None = None, offset: int = 0
    ) -> list[Organisation]:
        """The organisations the caller sees, by name; the store filters, so a page is cheap."""
        ctx.require(Permission.ORG_READ)
        with self._uow() as uow:
            return list(uow.accounts.organisations(_visibility(ctx), limit, offset))

    def accounts_of(self, ctx: Context, org_id: str) -> Sequence[Account]:
        ctx.require(Permission.ORG_READ)
        with self._uow() as uow:
            self._visible_org(uow, ctx, org_id)
            return uow.accounts.accounts_of(org_id)

    def mandates(self, ctx: Context) -> Sequence[Mandate]:
        ctx.require(Permission.MANDATE_READ)
        org = _own_org(ctx)
        with self._uow() as uow:
            if org.kind == OrgKind.BROKER:
                return uow.accounts.mandates_of_broker(org.id)
            return uow.accounts.mandates_of_importer(org.id)

    def audit_events(self, ctx: Context, limit: int = 100) -> Sequence[AuditEvent]:
        ctx.require(Permission.AUDIT_READ)
        if not 1 <= limit <= 1000:
            raise InvalidInput.of(
                "value.bad_limit", N_("The limit must be between 1 and 1000."), field="limit"
            )
        with self._uow() as uow:
            # an administration's auditors see events about its own jurisdiction
            return uow.audit.events(limit, _visibility(ctx))

    # ------------------------------------------------------------ writing
    def create_organisation(
        self,
        ctx: Context,
        name: str,
        kind: OrgKind,
        country: Country,
        idempotency: Idempotency | None = None,
    ) -> tuple[Organisation, bool]:
        ctx.require(Permission.ORG_CREATE)
        clean = check_name(name)
        if ctx.principal is not None and ctx.principal.organisation is not None:
            home = ctx.principal.organisation.country
            if country != home:
                raise Forbidden.of(
                    "organisation.other_jurisdiction",
                    N_("You may register organisations in %(home)s only, not %(country)s."),
                    field="country",
                    home=home.alpha2,
                    country=country.alpha2,
                )

        def write(uow: UnitOfWork) -> Organisation:
            org = Organisation(new_id("org"), clean, kind, country, self._clock.now())
            uow.accounts.add_organisation(org)
            self._audit(
                uow,
                ctx,
                "organisation.create",
                "organisation",
                org.id,
                org.id,
                {"name": clean, "kind": kind.value, "country": country.alpha2},
            )
            return org

        return self._write(ctx, idempotency, "organisation", write, self._reload_org)

    def create_account(
        self,
        ctx: Context,
        org_id: str,
        name: str,
        roles: Iterable[Role],
        idempotency: Idempotency | None = None,
    ) -> tuple[Account, bool]:
        ctx.require(Permission.ACCOUNT_CREATE)
        clean = check_name(name)

        def write(uow: UnitOfWork) -> Account:
            return self._add_account(uow, ctx, org_id, clean, roles)

        return self._write(ctx, idempotency, "account", write, self._reload_account)

    def issue_token(
        self, ctx: Context, account_id: str, expires_at: datetime | None = None
    ) -> tuple[ApiToken, str]:
        """A new bearer token; its plain text is returned once and never stored."""
        ctx.require(Permission.ACCOUNT_CREATE)
        with self._uow() as uow:
            account = uow.accounts.account(account_id) if is_id(account_id, "acc") else None
            if account is None:
                raise _not_found("account", account_id)
            self._visible_org(uow, ctx, account.organisation_id)
            token, plain = self._new_token(uow, ctx, account, expires_at)
            uow.commit()
        return token, plain

    def create_account_with_token(
        self, ctx: Context, org_id: str, name: str, roles: Iterable[Role]
    ) -> tuple[Account, ApiToken, str]:
        """An account and its first token, in one transaction: both or neither."""
        ctx.require(Permission.ACCOUNT_CREATE)
        clean = check_name(name)
        with self._uow() as uow:
            account = self._add_account(uow, ctx, org_id, clean, roles)
            token, plain = self._new_token(uow, ctx, account, None)
            uow.commit()
        return account, token, plain

    def grant_mandate(
        self, ctx: Context, broker_id: str, idempotency: Idempotency | None = None
    ) -> tuple[Mandate, bool]:
        ctx.require(Permission.MANDATE_GRANT)
        importer = _own_org(ctx)
        if idempotency is not None:
            check_key(idempotency.key)

        def write(uow: UnitOfWork) -> Mandate:
            broker = uow.accounts.organisation(broker_id) if is_id(broker_id, "org") else None
            # a broker is licensed by the customs administration of the importer's country
            if (
                broker is None
                or broker.kind != OrgKind.BROKER
                or broker.country != importer.country
            ):
                raise NotFound.of(
                    "mandate.broker_not_found",
                    N_("No broker organisation has the id '%(id)s'."),
                    field="broker_id",
                    id=broker_id[:64],
                )
            active = [
                m
                for m in uow.accounts.mandates_of_importer(importer.id)
                if m.broker_id == broker.id and m.revoked_at is None
            ]
            if active:
                return active[0]
            mandate = Mandate(new_id("man"), importer.id, broker.id, self._clock.now())
            uow.accounts.add_mandate(mandate)
            self._audit(
                uow,
                ctx,
                "mandate.grant",
                "mandate",
                mandate.id,
                importer.id,
                {"broker_id": broker.id},
            )
            return mandate

        def reload(uow: UnitOfWork, mandate_id: str) -> Mandate:
            found = [
                m for m in uow.accounts.mandates_of_importer(importer.id) if m.id == mandate_id
            ]
            if not found:
                raise _not_found("mandate", mandate_id)
            return found[0]

        with self._uow() as uow:
            existing = [
                m
                for m in uow.accounts.mandates_of_importer(importer.id)
                if m.broker_id == broker_id and m.revoked_at is None
            ]
        if existing:
            return existing[0], True  # already granted: nothing to write
        return self._write(ctx, idempotency, "mandate", write, reload)

    def revoke_token(self, ctx: Context, token_id: str) -> ApiToken:
        """Stop a token working from now on (a leaked or unused one)."""
        ctx.require(Permission.ACCOUNT_CREATE)
        with self._uow() as uow:
            token = uow.accounts.token(token_id) if is_id(token_id, "tok") else None
            account = uow.accounts.account(token.account_id) if token else None
            if token is None or account is None:
                raise _not_found("token", token_id)
            self._visible_org(uow, ctx, account.organisation_id)
            now = self._clock.now()
            uow.accounts.revoke_token(token.id, now)
            self._audit(
                uow,
                ctx,
                "token.revoke",
                "account",
                account.id,
                account.organisation_id,
                {"token_id": token.id},
            )
            uow.commit()
            return replace(token, revoked_at=token.revoked_at or now)

    def set_account_active(self, ctx: Context, account_id: str, active: bool) -> Account:
        """Deactivate an account (its tokens stop working) or activate it again."""
        ctx.require(Permission.ACCOUNT_CREATE)
        with self._uow() as uow:
            account = uow.accounts.account(account_id) if is_id(account_id, "acc") else None
            if account is None:
                raise _not_found("account", account_id)
            self._visible_org(uow, ctx, account.organisation_id)
            uow.accounts.set_account_active(account.id, active)
            action = "account.activate" if active else "account.deactivate"
            self._audit(uow, ctx, action, "account", account.id, account.organisation_id, {})
            uow.commit()
            return replace(account, active=active)

    def revoke_mandate(self, ctx: Context, mandate_id: str) -> Mandate:
        """The importer withdraws a broker's mandate; the broker no longer sees its objects."""
        ctx.require(Permission.MANDATE_GRANT)
        importer = _own_org(ctx)
        with self._uow() as uow:
            found = [
                m for m in uow.accounts.mandates_of_importer(importer.id) if m.id == mandate_id
            ]
            if not found:
                raise _not_found("mandate", mandate_id)
            now = self._clock.now()
            uow.accounts.revoke_mandate(mandate_id, now)
            self._audit(
                uow,
                ctx,
                "mandate.revoke",
                "mandate",
                mandate_id,
                importer.id,
                {"broker_id": found[0].broker_id},
            )
            uow.commit()
            return replace(found[0], revoked_at=found[0].revoked_at or now)

    # ------------------------------------------------------------ helpers
    def _add_account(
        self, uow: UnitOfWork, ctx: Context, org_id: str, name: str, roles: Iterable[Role]
    ) -> Account:
        org = self._visible_org(uow, ctx, org_id)
        account = Account(
            new_id("acc"), org.id, name, check_roles(org.kind, roles), self._clock.now()
        )
        uow.accounts.add_account(account)
        details = {"name": name, "roles": sorted(r.value for r in account.roles)}
        self._audit(uow, ctx, "account.create", "account", account.id, org.id, details)
        return account

    def _new_token(
        self, uow: UnitOfWork, ctx: Context, account: Account, expires_at: datetime | None
    ) -> tuple[ApiToken, str]:
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            new_id("tok"), account.id, hash_token(plain), self._clock.now(), expires_at
        )
        uow.accounts.add_token(token)
        details = {"token_id": token.id}
        self._audit(
            uow, ctx, "token.issue", "account", account.id, account.organisation_id, details
        )
        return token, plain

    def _write(
        self,
        ctx: Context,
        idempotency: Idempotency | None,
        object_type: str,
        write: Callable[[UnitOfWork], T],
        reload: Callable[[UnitOfWork, str], T],
    ) -> tuple[T, bool]:
        """Run `write` once per idempotency key; a replay reloads what the first run made."""
        scope = _scope(ctx)
        with self._uow() as uow:
            if idempotency is not None:
                key = check_key(idempotency.key)
                stored = uow.idempotency.get(scope, key)
                if stored is not None:
                    replay(stored, idempotency.fingerprint)
                    return reload(uow, str(stored.body["id"])), True
            obj = write(uow)
            if idempotency is not None:
                uow.idempotency.put(
                    StoredResponse(
                        scope,
                        check_key(idempotency.key),
                        idempotency.fingerprint,
                        201,
                        {"type": object_type, "id": obj.id},
                        self._clock.now(),
                    )
                )
            uow.commit()
            return obj, False

    def _reload_org(self, uow: UnitOfWork, org_id: str) -> Organisation:
        org = uow.accounts.organisation(org_id)
        if org is None:
            raise _not_found("organisation", org_id)
        return org

    def _reload_account(self, uow: UnitOfWork, account_id: str) -> Account:
        account = uow.accounts.account(account_id)
        if account is None:
            raise _not_found("account", account_id)
        return account

    def _visible_org(self, uow: UnitOfWork, ctx: Context, org_id: str) -> Organisation:
        org = uow.accounts.organisation(org_id) if is_id(org_id, "org") else None
        # another organisation's object answers "not found", not "forbidden":
        # whether it exists is itself not to be told
        if org is None or not _sees(ctx, org):
            raise _not_found("organisation", org_id)
        return org

    def _audit(
        self,
        uow: UnitOfWork,
        ctx: Context,
        action: str,
        object_type: str,
        object_id: str,
        org_id: str,
        details: dict[str, Any],
    ) -> None:
        uow.audit.append(
            audit_event(ctx, self._clock.now(), action, object_type, object_id, org_id, details)
        )


def _visibility(ctx: Context) -> Visibility | None:
    return ctx.principal.visibility() if ctx.principal is not None else None


def _sees(ctx: Context, org: Organisation) -> bool:
    return ctx.principal is None or ctx.principal.can_see(org)


def _own_org(ctx: Context) -> Organisation:
    if ctx.principal is None or ctx.principal.organisation is None:
        raise InvalidInput(
            Finding(
                "auth.no_organisation", N_("This action is taken by an organisation's account.")
            )
        )
    return ctx.principal.organisation


def _scope(ctx: Context) -> str:
    p = ctx.principal
    return p.account.id if p is not None and p.account is not None else "operator"


def _not_found(kind: str, object_id: str) -> NotFound:
    return NotFound.of(
        "not_found",
        N_("No %(kind)s with id '%(id)s' is visible to you."),
        kind=kind,
        id=object_id[:64],
    )
