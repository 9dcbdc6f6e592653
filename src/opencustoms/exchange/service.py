"""What officers and operators do through the exchange, and the node's timers.

The importing side tells the issuing country that a preference was applied or
denied on a certificate it received (`utilization`), and asks it to verify one
(`verification.request`, answered by a day the link agrees); the issuing side
answers (`verification.response`). Operators see messages in and out, and re-drive
dead letters. The node's timers (`tick`, run by the delivery worker): a gap in a
certificate's messages that lasts `GAP_PULL_AFTER` is pulled from the sender; a
verification request past its day with no answer raises an overdue alert, once.
Every action is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context, audit_event
from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.received import ReceivedCertificate
from opencustoms.exchange.delivery import redriven
from opencustoms.exchange.envelope import REMEMBER_IDS, Envelope
from opencustoms.exchange.inbox import Incoming, Reception
from opencustoms.exchange.messages import check_payload, message_type
from opencustoms.exchange.outbox import Delivery, Outgoing
from opencustoms.exchange.partners import Partner
from opencustoms.exchange.ports import ReceivingUnitOfWork
from opencustoms.exchange.verification import (
    OUTCOMES,
    CaseState,
    Side,
    Verification,
    answered_already,
    reply_by,
)
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, Conflict, DomainError, Finding, InvalidInput, NotFound
from opencustoms.kernel.ids import new_id
from opencustoms.observability import logger

GAP_PULL_AFTER = timedelta(seconds=60)
# delivered messages are kept this long (the operators' view; a partner's pull re-sends
# them), then archived; their numbering goes on
KEEP_DELIVERED = timedelta(days=30)  # a held message's predecessor missing this long: pull

log = logger("opencustoms.exchange")


@dataclass(frozen=True, slots=True)
class Tick:
    pulls: tuple[tuple[str, str], ...]  # (partner, subject) pulled
    overdue: tuple[Verification, ...]  # newly overdue: alerted now


@dataclass(frozen=True, slots=True)
class Status:
    node: str | None
    outgoing: dict[Delivery, int]
    oldest_pending: datetime | None
    incoming: dict[Reception, int]
    open_verifications: int
    overdue_verifications: int


class ExchangeService:
    def __init__(
        self,
        uow: Callable[[], ReceivingUnitOfWork],
        clock: Clock,
        node: str | None,
        forms: Mapping[str, FormProfile],
        zone: ZoneInfo,
        ids: Callable[[str], str] = new_id,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._node = node
        self._forms = forms
        self._zone = zone
        self._ids = ids

    # -- the importing side ------------------------------------------------------

    def send_utilization(
        self,
        ctx: Context,
        authority: str,
        number: str,
        outcome: str,
        declaration: str,
        on: date,
        reason: str | None = None,
    ) -> Outgoing:
        """Tell the issuing country's node that the preference a received certificate
        claims was applied or denied on an import declaration."""
        ctx.require(Permission.EXCHANGE_NOTIFY)
        payload: dict[str, Any] = {
            "authority": authority,
            "number": number,
            "outcome": outcome,
            "declaration": declaration,
            "on": on.isoformat(),
        }
        if reason:
            payload["reason"] = reason
        with self._uow() as uow:
            _, partner = self._origin(uow, authority, number, "utilization")
            seq = uow.outbox.next_sequence(partner.node, f"{authority}/{number}")
            sent = self._send(uow, partner, "utilization", payload, sequence=seq)
            self._audit(uow, ctx, "exchange.utilization", sent.envelope, {"outcome": outcome})
            uow.commit()
        return sent

    def utilization_in(
        self,
        uow: ReceivingUnitOfWork,
        authority: str,
        number: str,
        outcome: str,
        declaration: str,
        on: date,
        reason: str | None = None,
    ) -> Outgoing | None:
        """The utilization notice, written in the caller's transaction (a declaration's
        decision and its notice commit together); None where the certificate did not come
        through the exchange or its link carries no notices."""
        if self._node is None:
            return None
        try:
            _, partner = self._origin(uow, authority, number, "utilization")
        except DomainError:
            return None
        payload: dict[str, Any] = {
            "authority": authority,
            "number": number,
            "outcome": outcome,
            "declaration": declaration,
            "on": on.isoformat(),
        }
        if reason:
            payload["reason"] = reason[:500]
        seq = uow.outbox.next_sequence(partner.node, f"{authority}/{number}")
        return self._send(uow, partner, "utilization", payload, sequence=seq)

    def linked(self, uow: ReceivingUnitOfWork, country: str, agreement: str) -> bool:
        """Whether this node exchanges certificates of `agreement` with `country`'s node."""
        return any(
            p.country == country and p.link(agreement) is not None
            for p in uow.partners.all(active_only=True)
        )

    def request_verification(
        self,
        ctx: Context,
        authority: str,
        number: str,
        questions: Sequence[str],
        documents: Sequence[str] = (),
    ) -> Verification:
        """Ask the issuing country's node to verify a received certificate, to be answered
        within the period agreed with it (the link's `reply_days`)."""
        ctx.require(Permission.EXCHANGE_NOTIFY)
        now = self._clock.now()
        with self._uow() as uow:
            held, partner = self._origin(uow, authority, number, "verification.request")
            agreement = self._agreement(held.form)
            link = partner.link(agreement or "")
            due = reply_by(
                self._today(now), link.reply_days if link else None, str(agreement), partner.node
            )
            payload: dict[str, Any] = {
                "authority": authority,
                "number": number,
                "questions": list(questions),
                "reply_by": due.isoformat(),
            }
            if documents:
                payload["documents"] = list(documents)
            sent = self._send(uow, partner, "verification.request", payload)
            case = Verification(
                id=sent.envelope.id,
                side=Side.ASKED,
                partner=partner.node,
                authority=authority,
                number=number,
                questions=tuple(questions),
                documents=tuple(documents),
                reply_by=due,
                requested_at=now,
            )
            uow.verifications.add(case)
            self._audit(
                uow,
                ctx,
                "exchange.verification_request",
                sent.envelope,
                {"reply_by": due.isoformat()},
            )
            uow.commit()
        return case

    # -- the issuing side ----------------------------------------------------------

    def answer_verification(
        self,
        ctx: Context,
        request_id: str,
        outcome: str,
        findings: Sequence[str] = (),
        documents: Sequence[str] = (),
    ) -> Verification:
        """Answer a partner's verification request: confirmed, not_confirmed or partially."""
        ctx.require(Permission.EXCHANGE_ANSWER)
        if outcome not in OUTCOMES:
            raise InvalidInput.of(
                "exchange.bad_outcome",
                N_("The outcome is one of %(choices)s."),
                field="outcome",
                choices=", ".join(OUTCOMES),
            )
        now = self._clock.now()
        with self._uow() as uow:
            case = uow.verifications.get(request_id, Side.ASKED_OF_US)
            if case is None:
                raise NotFound.of(
                    "exchange.no_request",
                    N_("No verification request %(id)s was received here."),
                    id=request_id[:80],
                )
            if case.state is CaseState.ANSWERED:
                raise answered_already(case)
            partner = self._partner(uow, case.partner)
            payload: dict[str, Any] = {
                "authority": case.authority,
                "number": case.number,
                "request": case.id,
                "outcome": outcome,
            }
            if findings:
                payload["findings"] = list(findings)
            if documents:
                payload["documents"] = list(documents)
            sent = self._send(uow, partner, "verification.response", payload, correlation=case.id)
            answered = replace(
                case,
                state=CaseState.ANSWERED,
                outcome=outcome,
                findings=tuple(findings),
                answer_documents=tuple(documents),
                answered_at=now,
                response_id=sent.envelope.id,
                version=case.version + 1,
            )
            uow.verifications.save(answered)
            self._audit(
                uow, ctx, "exchange.verification_response", sent.envelope, {"outcome": outcome}
            )
            uow.commit()
        return answered

    # -- reading and operating ---------------------------------------------------

    def verifications(
        self, ctx: Context, open_only: bool = False, overdue_only: bool = False, limit: int = 100
    ) -> list[Verification]:
        ctx.require(Permission.EXCHANGE_READ)
        today = self._today(self._clock.now())
        with self._uow() as uow:
            found = uow.verifications.find(open_only=open_only or overdue_only, limit=limit)
        return [c for c in found if not overdue_only or c.overdue(today)]

    def status(self, ctx: Context) -> Status:
        """Where delivery stands: messages out and in per state, the oldest waiting to go,
        and the verifications open and overdue."""
        ctx.require(Permission.EXCHANGE_READ)
        today = self._today(self._clock.now())
        with self._uow() as uow:
            out, inbox = uow.outbox.counts(), uow.inbox.counts()
            cases = uow.verifications.find(open_only=True, limit=1000)
        return Status(
            node=self._node,
            outgoing={state: n for state, (n, _) in out.items()},
            oldest_pending=out.get(Delivery.PENDING, (0, None))[1],
            incoming=inbox,
            open_verifications=len(cases),
            overdue_verifications=sum(1 for c in cases if c.overdue(today)),
        )

    def outgoing(
        self, ctx: Context, state: Delivery | None = None, limit: int = 100
    ) -> Sequence[Outgoing]:
        ctx.require(Permission.EXCHANGE_READ)
        with self._uow() as uow:
            return uow.outbox.all(state=state, limit=limit)

    def incoming(
        self, ctx: Context, state: Reception | None = None, limit: int = 100
    ) -> Sequence[Incoming]:
        ctx.require(Permission.EXCHANGE_READ)
        with self._uow() as uow:
            return uow.inbox.all(state=state, limit=limit)

    def received(self, ctx: Context, limit: int = 100) -> Sequence[ReceivedCertificate]:
        ctx.require(Permission.EXCHANGE_READ)
        with self._uow() as uow:
            return uow.received.find(limit=limit)

    def retry(self, ctx: Context, message_id: str) -> Outgoing:
        """Re-drive a dead-lettered message: a new round of attempts, from now."""
        ctx.require(Permission.EXCHANGE_OPERATE)
        with self._uow() as uow:
            dead = uow.outbox.get(message_id)
            if dead is None:
                raise NotFound.of(
                    "exchange.no_message",
                    N_("No message %(id)s in the outbox."),
                    id=message_id[:80],
                )
            if dead.state is not Delivery.DEAD:
                raise Conflict.of(
                    "exchange.not_dead",
                    N_("Message %(id)s is %(state)s, not dead: there is nothing to re-drive."),
                    id=message_id,
                    state=dead.state.value,
                )
            again = redriven(dead, self._clock.now())
            if not uow.outbox.redrive(again):
                raise Conflict.of(
                    "exchange.not_dead",
                    N_("Message %(id)s is %(state)s, not dead: there is nothing to re-drive."),
                    id=message_id,
                    state="pending",
                )
            self._audit(uow, ctx, "exchange.redrive", dead.envelope, {"attempts": dead.attempts})
            uow.commit()
        return again

    # -- timers ----------------------------------------------------------------

    def tick(self) -> Tick:
        """Pull the certificates whose gaps lasted; alert the verifications now overdue."""
        now = self._clock.now()
        today = self._today(now)
        pulls: list[tuple[str, str]] = []
        overdue: list[Verification] = []
        with self._uow() as uow:
            if self._node is not None:
                for sender, subject in uow.inbox.gaps(now - GAP_PULL_AFTER, now - GAP_PULL_AFTER):
                    partner = uow.partners.get(sender)
                    if partner is None or not partner.active:
                        continue
                    authority, _, number = subject.partition("/")
                    if any("certificate.pull" in k.messages for k in partner.links):
                        payload = {"authority": authority, "number": number}
                        self._send(uow, partner, "certificate.pull", payload)
                        pulls.append((sender, subject))
                    uow.inbox.pulled(sender, subject, now)
            # ids are remembered as long as a replay could be taken for new (envelope.py)
            uow.inbox.forget(now - REMEMBER_IDS)
            uow.outbox.archive(now - KEEP_DELIVERED)
            for case in uow.verifications.find(open_only=True, limit=1000):
                if case.overdue(today) and case.overdue_alerted_at is None:
                    alerted = replace(case, overdue_alerted_at=now, version=case.version + 1)
                    uow.verifications.save(alerted)
                    uow.audit.append(
                        audit_event(
                            Context(None),
                            now,
                            "exchange.verification_overdue",
                            "verification",
                            case.id,
                            None,
                            {"side": case.side.value, "reply_by": case.reply_by.isoformat()},
                        )
                    )
                    overdue.append(alerted)
            uow.commit()
        for case in overdue:
            log.warning(
                "verification_overdue",
                request=case.id,
                side=case.side.value,
                partner=case.partner,
                number=case.number,
                reply_by=case.reply_by.isoformat(),
            )
        return Tick(tuple(pulls), tuple(overdue))

    # -- inside ------------------------------------------------------------------

    def _origin(
        self, uow: ReceivingUnitOfWork, authority: str, number: str, message: str
    ) -> tuple[ReceivedCertificate, Partner]:
        """A received certificate, and the partner node it came from, which the message
        goes to (its link for the certificate's agreement must carry it)."""
        self._require_node()
        held = uow.received.get(authority, number)
        if held is None:
            raise NotFound.of(
                "exchange.not_received",
                N_("Certificate %(number)s of %(authority)s was not received from a partner node."),
                number=number[:60],
                authority=authority[:40],
            )
        partner = self._partner(uow, held.sender)
        agreement = self._agreement(held.form)
        if not any(message in k.messages and k.agreement == agreement for k in partner.links):
            raise DomainError(
                Finding(
                    "exchange.not_linked",
                    N_("%(type)s is not exchanged with %(partner)s under %(agreement)s."),
                    {"type": message, "partner": partner.node, "agreement": str(agreement)},
                )
            )
        return held, partner

    def _partner(self, uow: ReceivingUnitOfWork, node: str) -> Partner:
        partner = uow.partners.get(node)
        if partner is None or not partner.active:
            raise DomainError(
                Finding(
                    "exchange.partner_inactive",
                    N_("%(node)s is not an active partner of this node."),
                    {"node": node},
                )
            )
        return partner

    def _send(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        name: str,
        payload: dict[str, Any],
        sequence: int | None = None,
        correlation: str | None = None,
    ) -> Outgoing:
        node = self._require_node()
        kind = message_type(name, 1)
        assert kind is not None
        problems = check_payload(kind, payload)
        if problems:
            raise InvalidInput(*problems)
        now = self._clock.now()
        envelope = Envelope(
            id=self._ids("msg"),
            type=name,
            version=kind.version,
            sender=node,
            receiver=partner.node,
            sent_at=now,
            payload=payload,
            correlation_id=correlation,
            sequence=sequence,
        )
        sent = Outgoing(envelope, now, now)
        uow.outbox.add(sent)
        return sent

    def _require_node(self) -> str:
        if self._node is None:
            raise DomainError(
                Finding(
                    "exchange.not_a_node",
                    N_("This node has no node id (OPENCUSTOMS_NODE_ID): it exchanges with no one."),
                )
            )
        return self._node

    def _agreement(self, form: str) -> str | None:
        profile = self._forms.get(form)
        return profile.agreement if profile else None

    def _today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    def _audit(
        self,
        uow: ReceivingUnitOfWork,
        ctx: Context,
        action: str,
        envelope: Envelope,
        details: dict[str, Any],
    ) -> None:
        at = self._clock.now()
        details = {"to": envelope.receiver, "type": envelope.type, **details}
        uow.audit.append(audit_event(ctx, at, action, "message", envelope.id, None, details))
