"""Receiving messages from partner nodes: check, keep once, apply in order, acknowledge.

For each delivered envelope (its own transaction, so that one bad message never
undoes another):

1. `envelope.receive` checks it: a partner's signature, for this node, on time,
   a known type with a valid payload. A message that fails is not kept; the
   sender is told why, and whether delivering it again could ever help (`final`).
2. Kept under (sender, id): delivered again, it is acknowledged again and not
   applied twice; another message under a kept id is refused.
3. Whether the sender may say it: a link with the sender carries the type (for
   a certificate, the link for its form's agreement); a certificate comes from
   its exporting country's node; a change to a received certificate comes from
   the node that sent it.
4. Applied in order: messages about one certificate carry their sender's
   sequence (`seq`); one whose predecessor is missing is held, and applied when
   the gap closes. A certificate is verified end to end (the issuing
   authority's signature with the key from the partner's trust list, its form,
   its validity) and recorded in the register of received certificates.
5. Acknowledged: the outcome (verified and recorded, or rejected with every
   reason) goes back to the sender as an `ack` message, through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.lifecycle import Outcome as UtilizationOutcome
from opencustoms.certificates.lifecycle import Utilization
from opencustoms.certificates.received import ReceivedCertificate, ReceivedStatus
from opencustoms.certificates.service import CertificateService
from opencustoms.certificates.signed import Outcome as CheckOutcome
from opencustoms.certificates.signed import payload_digest, verify
from opencustoms.exchange.envelope import Envelope, Received, receive
from opencustoms.exchange.inbox import (
    Answer,
    Incoming,
    Outcome,
    Reception,
)
from opencustoms.exchange.messages import message_type, parse_instant
from opencustoms.exchange.outbox import Outgoing
from opencustoms.exchange.partners import Partner, node_keys
from opencustoms.exchange.ports import ReceivingUnitOfWork
from opencustoms.exchange.verification import CaseState, Side, Verification, answered_already
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, Conflict, DomainError, Finding, InvalidInput
from opencustoms.kernel.ids import new_id
from opencustoms.observability import logger
from opencustoms.trust.keys import PublicKey
from opencustoms.trust.signing import open_token

MAX_BATCH = 100  # envelopes in one delivery
log = logger("opencustoms.exchange.receiving")
MAX_AHEAD = 1000  # a message further ahead of its certificate's next is refused, not held
_APPLIED_HERE = frozenset({"certificate.issued", "certificate.replaced", "certificate.revoked"})
_TRIES = 3  # a transaction that lost a race (the same message twice at once) is retried


@dataclass(frozen=True, slots=True)
class _Applied:
    state: Reception
    reasons: tuple[Finding, ...] = ()
    opened: str | None = None  # a subject a replacement opened: its held messages may go on
    untrusted: bool = False  # not verifiable yet: no key or form for it here


@dataclass(frozen=True, slots=True)
class _Known:
    """What a delivery's messages are checked against, read once per delivery."""

    partners: Mapping[str, Partner]
    signers: Mapping[str, Mapping[str, PublicKey]]
    trust: Mapping[str, PublicKey]


@dataclass(frozen=True, slots=True)
class _Untrusted:
    reasons: tuple[Finding, ...]


# a signed certificate's checks that fail for want of what a partner sends later: its
# authority's key (from a trust list not imported yet), or its form
_NOT_HERE_YET = frozenset(
    {
        "no key in the trust list has the id %(kid)s",
        "'%(form)s' is not a certificate form known here",
        "not checked: no trusted key",
    }
)


class _TryLater(Exception):
    """The delivered message cannot be taken now, but may be later: nothing is kept."""

    def __init__(self, message_id: str, reasons: tuple[Finding, ...]) -> None:
        super().__init__(message_id)
        self.id = message_id
        self.reasons = reasons


class Receiver:
    """This node's side of delivery: what `POST /exchange/v1/messages` runs.

    `node`: this node's id (None: the node exchanges with no one and refuses every
    message); `forms`: the certificate forms it knows; `zone`: its office's time zone
    (a certificate is verified on the node's local day).
    """

    def __init__(
        self,
        uow: Callable[[], ReceivingUnitOfWork],
        clock: Clock,
        node: str | None,
        forms: Mapping[str, FormProfile],
        zone: ZoneInfo,
        certificates: CertificateService,
        ids: Callable[[str], str] = new_id,
    ) -> None:
        self._certificates = certificates
        self._uow = uow
        self._clock = clock
        self._node = node
        self._forms = forms
        self._zone = zone
        self._ids = ids

    def deliver(self, tokens: Sequence[Any]) -> list[Answer]:
        """An answer for each envelope, in the order given."""
        if self._node is None:
            raise DomainError(
                Finding(
                    "exchange.not_a_node",
                    N_("This node has no node id (OPENCUSTOMS_NODE_ID): it exchanges with no one."),
                )
            )
        if len(tokens) > MAX_BATCH:
            raise InvalidInput.of(
                "exchange.batch_too_large",
                N_("At most %(max)s messages in one delivery; send the rest in another."),
                field="messages",
                max=MAX_BATCH,
            )
        with self._uow() as uow:  # once per delivery: what every message is checked against
            partners = {p.node: p for p in uow.partners.all(active_only=True)}
            keys = uow.keys.all()
        known = _Known(
            partners,
            {node: node_keys(p, keys) for node, p in partners.items()},
            {k.kid: k for k in keys},
        )
        if len(tokens) > 1:
            together = self._together(tokens, self._node, known)
            if together is not None:
                return together
        return [self._one(token, self._node, known) for token in tokens]

    def _together(self, tokens: Sequence[Any], me: str, known: _Known) -> list[Answer] | None:
        """The whole delivery in one transaction (one commit, not one per message), or None
        when a message needs its own: one to refuse for now, or a race with another
        delivery. Then each is taken in a transaction of its own."""
        try:
            with self._uow() as uow:
                now = self._clock.now()
                opened = [receive(t, me, now, known.signers, lambda s, i: False) for t in tokens]
                answers = self._new_certificates(uow, opened, now, known)
                answers |= self._acknowledgements(uow, opened, now, known, set(answers))
                for i, got in enumerate(opened):
                    if i not in answers:
                        answers[i] = self._take_received(uow, got, now, known)
                uow.commit()
            return [answers[i] for i in range(len(tokens))]
        except (_TryLater, Conflict):
            return None
        except Exception as exc:  # one message's trouble must not hold back the others
            log.warning("delivery_taken_one_at_a_time", error=type(exc).__name__)
            return None

    def _acknowledgements(
        self,
        uow: ReceivingUnitOfWork,
        opened: Sequence[Received],
        now: datetime,
        known: _Known,
        taken: set[int],
    ) -> dict[int, Answer]:
        """The delivery's acknowledgements never seen, recorded on the messages they answer
        in a few statements for all (as one at a time: an ack of a message not sent to its
        sender is rejected)."""
        first = _first_mentions(opened)
        candidates = [
            (i, got.envelope)
            for i, got in enumerate(opened)
            if i not in taken
            and got.accepted
            and got.envelope is not None
            and got.envelope.type == "ack"
            and _carries(known.partners[got.envelope.sender], "ack")
            and all(first[k] == i for k in _mentions(got.envelope))
        ]
        if not candidates:
            return {}
        kept = uow.inbox.kept([(e.sender, e.id) for _, e in candidates])
        fresh: dict[tuple[str, str], tuple[int, Envelope]] = {}
        for i, e in candidates:
            if (e.sender, e.id) not in kept:
                fresh.setdefault((e.sender, e.id), (i, e))
        recorded = uow.outbox.acknowledge_many(
            [
                (e.payload["of"], e.sender, e.payload["outcome"], e.payload.get("reasons") or ())
                for i, e in fresh.values()
            ],
            now,
        )
        answers: dict[int, Answer] = {}
        incoming: list[Incoming] = []
        for i, e in fresh.values():
            if (e.payload["of"], e.sender) in recorded:
                applied = _Applied(Reception.APPLIED)
            else:
                reason = _finding(
                    "payload.of",
                    N_("no message %(id)s was sent to %(sender)s"),
                    id=e.payload["of"],
                    sender=e.sender,
                )
                applied = _Applied(Reception.REJECTED, (reason,))
            incoming.append(Incoming(e, opened[i].digest, now, applied.state, applied.reasons, now))
            answers[i] = Answer(e.id, Outcome.RECEIVED, applied.state, applied.reasons)
        uow.inbox.add_many(incoming)
        return answers

    def _new_certificates(
        self, uow: ReceivingUnitOfWork, opened: Sequence[Received], now: datetime, known: _Known
    ) -> dict[int, Answer]:
        """The delivery's first messages about certificates new here (`certificate.issued`,
        seq 1, its id, number and subject never seen), taken in a few statements for all:
        the common case, a stream of new certificates. The same checks as one at a time;
        anything else is left to that way (the answers miss it)."""
        first = _first_mentions(opened)
        candidates: list[tuple[int, Envelope]] = []
        for i, got in enumerate(opened):
            e = got.envelope
            if (
                got.accepted
                and e is not None
                and e.type == "certificate.issued"
                and e.sequence == 1
                and all(first[k] == i for k in _mentions(e))  # nothing before it shares one
            ):
                candidates.append((i, e))
        if not candidates:
            return {}
        envelopes = [e for _, e in candidates]
        kept = uow.inbox.kept([(e.sender, e.id) for e in envelopes])
        started = uow.inbox.started([(e.sender, e.subject or "") for e in envelopes])
        held = uow.received.held([(e.payload["authority"], e.payload["number"]) for e in envelopes])
        seen_ids: set[tuple[str, str]] = set()
        seen_subjects: set[tuple[str, str]] = set()
        answers: dict[int, Answer] = {}
        incoming: list[Incoming] = []
        records: list[ReceivedCertificate] = []
        acks: list[Outgoing] = []
        for i, e in candidates:
            key, subject = (e.sender, e.id), (e.sender, e.subject or "")
            number = (e.payload["authority"], e.payload["number"])
            if key in kept or key in seen_ids or subject in started or subject in seen_subjects:
                continue
            if number in held:
                continue
            partner = known.partners[e.sender]
            p = e.payload
            today = now.astimezone(self._zone).date()
            found = self._verified(
                partner, e, p["document"], p["authority"], p["number"], now, today, known.trust
            )
            if isinstance(found, _Untrusted):
                continue  # refused for now: one at a time says so
            seen_ids.add(key)
            seen_subjects.add(subject)
            if isinstance(found, tuple):
                applied = _Applied(Reception.REJECTED, found)
            else:
                records.append(found)
                applied = _Applied(Reception.APPLIED)
            incoming.append(Incoming(e, opened[i].digest, now, applied.state, applied.reasons, now))
            if _carries(partner, "ack"):
                acks.append(self._ack(partner, e, applied, now))
            answers[i] = Answer(e.id, Outcome.RECEIVED, applied.state, applied.reasons)
        uow.inbox.add_many(incoming)
        uow.inbox.start_many(
            sorted({(x.envelope.sender, x.envelope.subject or "") for x in incoming})
        )
        uow.received.add_many(records)
        uow.outbox.add_many(acks)
        return answers

    def _one(self, token: Any, me: str, known: _Known) -> Answer:
        for attempt in range(_TRIES):
            try:
                with self._uow() as uow:
                    answer = self._take(uow, token, me, self._clock.now(), known)
                    uow.commit()
                return answer
            except _TryLater as later:  # nothing kept: the sender delivers it again
                return Answer(later.id, Outcome.REFUSED, reasons=later.reasons)
            except Conflict as e:  # another delivery of it, or of its certificate, won
                if attempt == _TRIES - 1:
                    return Answer(None, Outcome.REFUSED, reasons=e.findings)
        raise AssertionError("unreachable")

    def _take(
        self, uow: ReceivingUnitOfWork, token: Any, me: str, now: datetime, known: _Known
    ) -> Answer:
        got = receive(token, me, now, known.signers, lambda sender, message_id: False)
        return self._take_received(uow, got, now, known)

    def _take_received(
        self, uow: ReceivingUnitOfWork, got: Received, now: datetime, known: _Known
    ) -> Answer:
        """Keep and apply an opened envelope (`receive` was told nothing was seen: whether
        its id was is asked here, in this transaction)."""
        partners = known.partners
        envelope = got.envelope
        if envelope is None or not got.authenticated:
            return Answer(envelope.id if envelope else None, Outcome.REFUSED, reasons=got.problems)
        if got.problems:
            final = all(p.code != "exchange.rejected" or p.field == "seq" for p in got.problems)
            return Answer(envelope.id, Outcome.REFUSED, reasons=got.problems, final=final)
        digest = got.digest
        kept = uow.inbox.get(envelope.sender, envelope.id)
        if kept is not None:  # delivered before: acknowledged again, never applied twice
            if kept.digest != digest:
                return Answer(
                    envelope.id, Outcome.REFUSED, reasons=(_other_content(envelope),), final=True
                )
            if kept.state is Reception.HELD and envelope.subject is not None:
                # delivered again while held (a pull, say): its turn may have come since
                self._drain(uow, partners[envelope.sender], envelope.subject, now, known.trust)
                kept = uow.inbox.get(envelope.sender, envelope.id) or kept
            return Answer(envelope.id, Outcome.DUPLICATE, kept.state, kept.reasons)

        partner = partners[envelope.sender]
        uow.inbox.add(Incoming(envelope, digest, now, Reception.HELD))  # the id is taken first
        applied = self._ordered(uow, partner, envelope, now, known.trust)
        outcome = Outcome.HELD if applied.state is Reception.HELD else Outcome.RECEIVED
        return Answer(envelope.id, outcome, applied.state, applied.reasons)

    # -- order -----------------------------------------------------------------

    def _ordered(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        trust: Mapping[str, PublicKey],
    ) -> _Applied:
        """Apply the kept message if its turn has come, then any held ones it lets go on."""
        subject, seq = envelope.subject, envelope.sequence
        if subject is None or seq is None:  # not about one certificate: no order to keep
            return self._settle(
                uow, partner, envelope, now, self._apply(uow, partner, envelope, now, trust, 0)
            )
        expected = uow.inbox.expected(partner.node, subject)
        if seq < expected:
            reason = _finding(
                "seq",
                N_("message %(seq)s about %(subject)s was applied already, under another id"),
                seq=seq,
                subject=subject,
            )
            # a message applied long ago, sent again after its id was forgotten (a pull):
            # not applied twice, and not acknowledged again (its first ack stands)
            return self._settle(
                uow, partner, envelope, now, _Applied(Reception.REJECTED, (reason,)), ack=False
            )
        if seq > expected + MAX_AHEAD:
            reason = _finding(
                "seq",
                N_(
                    "message %(seq)s about %(subject)s is more than %(max)s ahead of the next, %(expected)s"
                ),
                seq=seq,
                subject=subject,
                max=MAX_AHEAD,
                expected=expected,
            )
            raise _TryLater(envelope.id, (reason,))
        if seq > expected:
            reason = _finding(
                "seq",
                N_("held: message %(expected)s about %(subject)s has not arrived"),
                expected=expected,
                subject=subject,
            )
            return self._settle(uow, partner, envelope, now, _Applied(Reception.HELD, (reason,)))
        first = self._step(uow, partner, envelope, now, trust, expected, direct=True)
        if first.state is not Reception.HELD:
            self._drain(uow, partner, subject, now, trust, expected + 1)
        return first

    def _step(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        trust: Mapping[str, PublicKey],
        expected: int,
        direct: bool = False,
    ) -> _Applied:
        """Apply the message whose turn it is, record it, and move its subject on. One that
        cannot be verified yet (the issuing authority's key not imported) is not kept when
        it is the one delivered (the sender tries again later), and stays held otherwise."""
        outcome = self._apply(uow, partner, envelope, now, trust, expected)
        if outcome.untrusted and direct:
            raise _TryLater(envelope.id, outcome.reasons)
        if outcome.untrusted:
            outcome = _Applied(Reception.HELD, outcome.reasons)
        applied = self._settle(uow, partner, envelope, now, outcome)
        if applied.state is not Reception.HELD:
            assert envelope.subject is not None
            assert envelope.sequence is not None
            uow.inbox.advance(partner.node, envelope.subject, envelope.sequence)
            if applied.opened is not None:
                self._drain(uow, partner, applied.opened, now, trust)
        return applied

    def _drain(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        subject: str,
        now: datetime,
        trust: Mapping[str, PublicKey],
        expected: int | None = None,
    ) -> None:
        """Apply the held messages about `subject` whose turn has come, in order (`expected`:
        the next, when the caller knows it, holding the subject already)."""
        while True:
            if expected is None:
                expected = uow.inbox.expected(partner.node, subject)
            held = uow.inbox.held(partner.node, subject, expected)
            if held is None:
                return
            if (
                self._step(uow, partner, held.envelope, now, trust, expected).state
                is Reception.HELD
            ):
                return
            expected += 1

    def _settle(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        applied: _Applied,
        ack: bool = True,
    ) -> _Applied:
        """Record what became of a kept message, and acknowledge it once it is decided."""
        done = applied.state is not Reception.HELD
        decided = Incoming(envelope, "", now, applied.state, applied.reasons, now if done else None)
        uow.inbox.save(decided)  # its state, reasons and time applied
        if ack and done and envelope.type.startswith("certificate.") and _carries(partner, "ack"):
            self._acknowledge(uow, partner, envelope, applied, now)
        return applied

    def _acknowledge(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        applied: _Applied,
        now: datetime,
    ) -> None:
        uow.outbox.add(self._ack(partner, envelope, applied, now))

    def _ack(
        self, partner: Partner, envelope: Envelope, applied: _Applied, now: datetime
    ) -> Outgoing:
        """The acknowledgement of a decided message: accepted, or rejected with its reasons."""
        kind = message_type("ack", 1)
        assert kind is not None
        assert self._node is not None
        payload: dict[str, Any] = {
            "of": envelope.id,
            "outcome": "rejected" if applied.state is Reception.REJECTED else "accepted",
        }
        if applied.state is Reception.REJECTED:
            payload["reasons"] = [r.render()[:500] for r in applied.reasons[:50]] or ["-"]
        ack = Envelope(
            id=self._ids("msg"),
            type=kind.name,
            version=kind.version,
            sender=self._node,
            receiver=partner.node,
            sent_at=now,
            payload=payload,
            correlation_id=envelope.id,
        )
        return Outgoing(ack, now, now)

    # -- applying ----------------------------------------------------------------

    def _apply(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        trust: Mapping[str, PublicKey],
        expected: int,
    ) -> _Applied:
        kind = message_type(envelope.type, envelope.version)
        assert kind is not None  # `receive` refused the others
        if kind.name not in _APPLIED_HERE:
            return self._notice(uow, partner, envelope, now)
        today = now.astimezone(self._zone).date()
        if kind.name == "certificate.issued":
            return self._issued(uow, partner, envelope, now, today, trust)
        if kind.name == "certificate.replaced":
            return self._replaced(uow, partner, envelope, now, today, trust, expected)
        return self._revoked(uow, partner, envelope, expected)

    def _notice(
        self, uow: ReceivingUnitOfWork, partner: Partner, envelope: Envelope, now: datetime
    ) -> _Applied:
        """The messages about a certificate this node issued, or about messages it sent:
        acknowledgements, utilization notices, verification requests and answers, pulls."""
        p, kind = envelope.payload, envelope.type
        if kind == "ack":
            if not _carries(partner, kind):
                return _Applied(Reception.REJECTED, (_not_linked(partner, kind),))
            if uow.outbox.acknowledge(
                p["of"], partner.node, p["outcome"], p.get("reasons") or (), now
            ):
                return _Applied(Reception.APPLIED)
            reason = _finding(
                "payload.of",
                N_("no message %(id)s was sent to %(sender)s"),
                id=p["of"],
                sender=partner.node,
            )
            return _Applied(Reception.REJECTED, (reason,))
        if kind == "verification.response":
            return self._answer(uow, partner, envelope, now)
        own = uow.certificates.by_number(p["authority"], p["number"])
        if own is None or own.number is None or own.certificate.import_country != partner.country:
            # the same answer whether it does not exist or is another country's business
            reason = _finding(
                "payload.number",
                N_("this node issued no certificate %(number)s of %(authority)s for %(country)s"),
                number=p["number"],
                authority=p["authority"],
                country=partner.country,
            )
            return _Applied(Reception.REJECTED, (reason,))
        if not _carries(partner, kind, self._agreement(own.form)):
            return _Applied(Reception.REJECTED, (_not_linked(partner, kind),))
        if kind == "utilization":
            notice = Utilization(
                partner.country,
                UtilizationOutcome(p["outcome"]),
                p["declaration"],
                date.fromisoformat(p["on"]),
                p.get("reason"),
            )
            try:
                self._certificates.utilization_received(uow, p["authority"], p["number"], notice)
            except Conflict as e:
                if e.findings[0].code == "certificate.changed_meanwhile":
                    raise  # a concurrent change: the delivery is retried
                return _Applied(Reception.REJECTED, e.findings)
            except DomainError as e:
                return _Applied(Reception.REJECTED, e.findings)
            return _Applied(Reception.APPLIED)
        if kind == "verification.request":
            uow.verifications.add(
                Verification(
                    id=envelope.id,
                    side=Side.ASKED_OF_US,
                    partner=partner.node,
                    authority=p["authority"],
                    number=p["number"],
                    questions=tuple(p["questions"]),
                    documents=tuple(p.get("documents") or ()),
                    reply_by=date.fromisoformat(p["reply_by"]),
                    requested_at=now,
                )
            )
            return _Applied(Reception.APPLIED)
        # certificate.pull: what was delivered about it goes again (the receiver lost one)
        subject = f"{p['authority']}/{p['number']}"
        if uow.outbox.resend(partner.node, subject, now) == 0:
            reason = _finding(
                "payload.number",
                N_("nothing delivered to %(sender)s about %(subject)s is left to send again"),
                sender=partner.node,
                subject=subject,
            )
            return _Applied(Reception.REJECTED, (reason,))
        return _Applied(Reception.APPLIED)

    def _answer(
        self, uow: ReceivingUnitOfWork, partner: Partner, envelope: Envelope, now: datetime
    ) -> _Applied:
        p = envelope.payload
        case = uow.verifications.get(p["request"], Side.ASKED)
        if (
            case is None
            or case.partner != partner.node
            or (case.authority, case.number) != (p["authority"], p["number"])
        ):
            reason = _finding(
                "payload.request",
                N_("this node sent %(sender)s no verification request %(id)s on %(number)s"),
                sender=partner.node,
                id=p["request"],
                number=p["number"],
            )
            return _Applied(Reception.REJECTED, (reason,))
        if case.state is CaseState.ANSWERED:
            return _Applied(Reception.REJECTED, answered_already(case).findings)
        uow.verifications.save(
            replace(
                case,
                state=CaseState.ANSWERED,
                outcome=p["outcome"],
                findings=tuple(p.get("findings") or ()),
                answer_documents=tuple(p.get("documents") or ()),
                answered_at=now,
                response_id=envelope.id,
                version=case.version + 1,
            )
        )
        return _Applied(Reception.APPLIED)

    def _issued(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        today: date,
        trust: Mapping[str, PublicKey],
    ) -> _Applied:
        p = envelope.payload
        found = self._verified(
            partner, envelope, p["document"], p["authority"], p["number"], now, today, trust
        )
        if isinstance(found, _Untrusted):
            return _Applied(Reception.REJECTED, found.reasons, untrusted=True)
        if isinstance(found, tuple):
            return _Applied(Reception.REJECTED, found)
        return self._record(uow, found)

    def _replaced(
        self,
        uow: ReceivingUnitOfWork,
        partner: Partner,
        envelope: Envelope,
        now: datetime,
        today: date,
        trust: Mapping[str, PublicKey],
        expected: int,
    ) -> _Applied:
        p = envelope.payload
        old = uow.received.get(p["authority"], p["number"])
        if old is not None and old.sender != partner.node:
            return _Applied(
                Reception.REJECTED, (_not_theirs(p["authority"], p["number"], old.sender),)
            )
        if old is None and expected == 1:
            # nothing came about the old number yet: a replacement of a replacement whose
            # own `replaced` message (under the number before) is still on its way
            return _not_arrived(p)
        found = self._verified(
            partner, envelope, p["document"], p["authority"], p["by"], now, today, trust
        )
        if isinstance(found, _Untrusted):
            return _Applied(Reception.REJECTED, found.reasons, untrusted=True)
        if isinstance(found, tuple):
            return _Applied(Reception.REJECTED, found)
        replaces = found.document["certificate"].get("replaces")
        if replaces != p["number"]:
            reason = _finding(
                "payload.document",
                N_("certificate %(new)s does not name %(old)s as the one it replaces"),
                new=p["by"],
                old=p["number"],
            )
            return _Applied(Reception.REJECTED, (reason,))
        recorded = self._record(uow, found)
        if recorded.state is Reception.REJECTED:
            return recorded
        if old is not None and old.status is ReceivedStatus.ISSUED:
            uow.received.save(
                replace(
                    old,
                    status=ReceivedStatus.REPLACED,
                    replaced_by=p["by"],
                    version=old.version + 1,
                )
            )
        return _Applied(Reception.APPLIED, (), f"{p['authority']}/{p['by']}")

    def _revoked(
        self, uow: ReceivingUnitOfWork, partner: Partner, envelope: Envelope, expected: int
    ) -> _Applied:
        p = envelope.payload
        held = uow.received.get(p["authority"], p["number"])
        if held is None and expected == 1:
            # nothing came about this number yet: a replacement's new number, whose
            # `replaced` message (under the old number) is still on its way
            return _not_arrived(p)
        if held is None:
            reason = _finding(
                "payload.number",
                N_("certificate %(number)s of %(authority)s was never received here"),
                number=p["number"],
                authority=p["authority"],
            )
            return _Applied(Reception.REJECTED, (reason,))
        if held.sender != partner.node:
            return _Applied(
                Reception.REJECTED, (_not_theirs(p["authority"], p["number"], held.sender),)
            )
        if not _carries(partner, envelope.type, self._agreement(held.form)):
            return _Applied(Reception.REJECTED, (_not_linked(partner, envelope.type),))
        if held.status is not ReceivedStatus.REVOKED:
            at = parse_instant(p["revoked_at"])
            uow.received.save(
                replace(
                    held, status=ReceivedStatus.REVOKED, revoked_at=at, version=held.version + 1
                )
            )
        return _Applied(Reception.APPLIED)

    def _verified(
        self,
        partner: Partner,
        envelope: Envelope,
        document: dict[str, Any],
        authority: str,
        number: str,
        now: datetime,
        today: date,
        trust: Mapping[str, PublicKey],
    ) -> ReceivedCertificate | tuple[Finding, ...] | _Untrusted:
        """The certificate as this node will hold it, or every reason it will not (an
        `_Untrusted` when what it needs is not here yet: the key or the form)."""
        verdict = verify(document, today, trust, self._forms)  # offline: its status is this
        cert = verdict.certificate
        if (
            cert is not None
            and cert.issue_date is not None
            and cert.issue_date > today
            and verdict.check("validity").ok is False
        ):
            # issued on a day this node's zone has not reached yet: valid from it
            verdict = verify(document, cert.issue_date, trust, self._forms)
        failed = tuple(
            _finding(
                "payload.document", N_("%(check)s: %(reason)s"), check=c.name, reason=c.render()
            )
            for c in verdict.checks
            if c.outcome is CheckOutcome.FAILED
        )
        missing = {
            c.name
            for c in verdict.checks
            if c.outcome is CheckOutcome.FAILED and c.reason in _NOT_HERE_YET
        }
        if missing and missing == {
            c.name for c in verdict.checks if c.outcome is CheckOutcome.FAILED
        }:
            return _Untrusted(failed)
        if failed or cert is None or not verdict.valid:
            return failed or (_finding("payload.document", N_("the certificate did not verify")),)
        problems: list[Finding] = []
        if (cert.issuing_authority, cert.number) != (authority, number):
            problems.append(
                _finding(
                    "payload.document",
                    N_(
                        "the document is certificate %(number)s of %(authority)s, not the one the message names"
                    ),
                    number=str(cert.number),
                    authority=str(cert.issuing_authority),
                )
            )
        if cert.export_country != partner.country:
            problems.append(
                _finding(
                    "payload.document",
                    N_(
                        "certificate %(number)s was issued in %(country)s: %(sender)s speaks for %(own)s"
                    ),
                    number=str(cert.number),
                    country=cert.export_country,
                    sender=partner.node,
                    own=partner.country,
                )
            )
        if not _carries(partner, envelope.type, self._agreement(cert.form)):
            problems.append(_not_linked(partner, envelope.type))
        if problems:
            return tuple(problems)
        assert cert.issue_date is not None
        assert cert.number is not None
        opened = open_token(document["jws"])
        return ReceivedCertificate(
            authority=authority,
            number=cert.number,
            sender=partner.node,
            form=cert.form,
            export_country=cert.export_country,
            import_country=cert.import_country,
            issued_on=cert.issue_date,
            document=document,
            payload_sha256=payload_digest(opened.payload),
            received_at=_utc(now),
            message_id=envelope.id,
        )

    def _record(self, uow: ReceivingUnitOfWork, found: ReceivedCertificate) -> _Applied:
        held = uow.received.get(found.authority, found.number)
        if held is None:
            uow.received.add(found)
            return _Applied(Reception.APPLIED)
        if held.payload_sha256 == found.payload_sha256:
            return _Applied(Reception.APPLIED)  # the same certificate again (sent by a pull)
        reason = _finding(
            "payload.document",
            N_("certificate %(number)s of %(authority)s is held here already, with other content"),
            number=found.number,
            authority=found.authority,
        )
        return _Applied(Reception.REJECTED, (reason,))

    def _agreement(self, form: str) -> str | None:
        profile = self._forms.get(form)
        return profile.agreement if profile else None


def _mentions(envelope: Envelope) -> list[tuple[str, str, str]]:
    """What a message touches that another in its delivery could too: its id, its
    certificate's sequence, and the certificate."""
    found = [("id", envelope.sender, envelope.id)]
    if envelope.subject is not None:
        found.append(("subject", envelope.sender, envelope.subject))
    authority, number = envelope.payload.get("authority"), envelope.payload.get("number")
    if isinstance(authority, str) and isinstance(number, str):
        found.append(("certificate", authority, number))
    return found


def _first_mentions(opened: Sequence[Received]) -> dict[tuple[str, str, str], int]:
    """For each thing touched in a delivery, the first message that touches it: only that
    one may be taken ahead of the others, so the order within a delivery is kept."""
    first: dict[tuple[str, str, str], int] = {}
    for i, got in enumerate(opened):
        if got.envelope is not None:
            for key in _mentions(got.envelope):
                first.setdefault(key, i)
    return first


def _carries(partner: Partner, message: str, agreement: str | None = None) -> bool:
    """Whether a link with the partner (for `agreement`, if named) exchanges the type."""
    return any(
        message in link.messages and (agreement is None or link.agreement == agreement)
        for link in partner.links
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _finding(path: str, template: str, **params: Any) -> Finding:
    return Finding("exchange.rejected", template, params, field=path)


def _not_arrived(payload: Mapping[str, Any]) -> _Applied:
    reason = _finding(
        "payload.number",
        N_("held: certificate %(number)s of %(authority)s has not arrived"),
        number=payload["number"],
        authority=payload["authority"],
    )
    return _Applied(Reception.HELD, (reason,))


def _not_linked(partner: Partner, message: str) -> Finding:
    return _finding(
        "type",
        N_("%(type)s is not exchanged with %(sender)s under this agreement"),
        type=message,
        sender=partner.node,
    )


def _not_theirs(authority: str, number: str, sender: str) -> Finding:
    return _finding(
        "from",
        N_("certificate %(number)s of %(authority)s came from %(sender)s, who alone may change it"),
        number=number,
        authority=authority,
        sender=sender,
    )


def _other_content(envelope: Envelope) -> Finding:
    return _finding(
        "id",
        N_("message %(id)s was received before with other content: a message id is used once"),
        id=envelope.id,
    )
