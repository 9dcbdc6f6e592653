"""The partner registry: which nodes this node exchanges with, and under which agreements.

Customs administrators (or the operator at the command line) add partners,
change their URL, agreements and settings, and deactivate them; every change is
an audit entry in the same transaction. Customs officers and auditors read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context, audit_event
from opencustoms.exchange.partners import (
    Partner,
    node_keys,
    partner_exists,
    partner_json,
    read_partner,
)
from opencustoms.exchange.ports import ExchangeUnitOfWork
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, InvalidInput, NotFound, Stale
from opencustoms.trust.keys import PublicKey


class PartnerRegistry:
    def __init__(
        self,
        uow: Callable[[], ExchangeUnitOfWork],
        clock: Clock,
        agreements: Callable[[], Iterable[str]],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._agreements = agreements  # the agreement ids this node knows

    def add(self, ctx: Context, data: Any) -> Partner:
        """Register a partner node from its JSON form (see `read_partner`)."""
        ctx.require(Permission.PARTNERS_MANAGE)
        partner = read_partner(data, self._agreements(), self._clock.now())
        with self._uow() as uow:
            if uow.partners.get(partner.node) is not None:
                raise partner_exists(partner.node)
            uow.partners.add(partner)
            self._audit(uow, ctx, "partner.add", partner, partner_json(partner))
            uow.commit()
        return partner

    def update(self, ctx: Context, node: str, data: Any, if_version: int | None = None) -> Partner:
        """Change a partner's name, URL or agreements; its node id and country stay.

        With `if_version`, only the version the caller read is changed: two administrators
        editing at once do not silently undo each other's change."""
        ctx.require(Permission.PARTNERS_MANAGE)
        with self._uow() as uow:
            old = self._get(uow, node)
            if if_version is not None and if_version != old.version:
                raise Stale.of(
                    "exchange.partner_changed",
                    N_(
                        "Partner %(node)s is at version %(version)s, not %(expected)s: someone changed it since you read it. Read it again and make your change on that."
                    ),
                    node=old.node,
                    version=old.version,
                    expected=if_version,
                )
            new = read_partner(data, self._agreements(), self._clock.now())
            if (new.node, new.country) != (old.node, old.country):
                raise InvalidInput.of(
                    "exchange.partner_identity",
                    N_(
                        "A partner's node id and country do not change (%(node)s, %(country)s): add another partner instead."
                    ),
                    field="node",
                    node=old.node,
                    country=old.country,
                )
            changed = replace(
                new,
                created_at=old.created_at,
                active=old.active,
                version=old.version + 1,
            )
            uow.partners.save(changed)
            # the entry keeps what it was as well as what it became: the audit alone tells
            # which URL or agreements were in force when
            details = partner_json(changed) | {"before": partner_json(old)}
            self._audit(uow, ctx, "partner.update", changed, details)
            uow.commit()
        return changed

    def deactivate(self, ctx: Context, node: str) -> Partner:
        """Stop exchanging with a partner; its registration and history stay."""
        return self._set_active(ctx, node, False)

    def activate(self, ctx: Context, node: str) -> Partner:
        return self._set_active(ctx, node, True)

    def get(self, ctx: Context, node: str) -> Partner:
        ctx.require(Permission.PARTNERS_READ)
        with self._uow() as uow:
            return self._get(uow, node)

    def list(self, ctx: Context, active_only: bool = False) -> Sequence[Partner]:
        ctx.require(Permission.PARTNERS_READ)
        with self._uow() as uow:
            return uow.partners.all(active_only)

    def keys_of(self, ctx: Context, node: str) -> dict[str, PublicKey]:
        """The partner node's message-signing keys this node holds (from its trust list)."""
        ctx.require(Permission.PARTNERS_READ)
        with self._uow() as uow:
            partner = self._get(uow, node)
            return node_keys(partner, uow.keys.all(partner.node))

    def _set_active(self, ctx: Context, node: str, active: bool) -> Partner:
        ctx.require(Permission.PARTNERS_MANAGE)
        with self._uow() as uow:
            old = self._get(uow, node)
            if old.active == active:
                return old
            new = replace(old, active=active, updated_at=self._clock.now(), version=old.version + 1)
            uow.partners.save(new)
            action = "partner.activate" if active else "partner.deactivate"
            self._audit(uow, ctx, action, new, {})
            uow.commit()
        return new

    def _get(self, uow: ExchangeUnitOfWork, node: str) -> Partner:
        partner = uow.partners.get(node)
        if partner is None:
            raise NotFound.of(
                "exchange.no_partner", N_("No partner node %(node)s here."), node=node[:60]
            )
        return partner

    def _audit(
        self,
        uow: ExchangeUnitOfWork,
        ctx: Context,
        action: str,
        partner: Partner,
        details: dict[str, Any],
    ) -> None:
        # organisation None: the node's own setting, read by its administrators
        at = self._clock.now()
        uow.audit.append(audit_event(ctx, at, action, "partner", partner.node, None, details))
