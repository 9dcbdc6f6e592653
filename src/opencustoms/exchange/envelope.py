"""The signed envelope every message travels in, and what a receiving node accepts.

An envelope names the message (id, type and version), the sending and receiving
nodes, when it was sent, what it answers (correlation id) and, for a message
about one certificate, its place in that certificate's sequence; the payload is
the message itself (for a certificate, the signed certificate document, so that
the importing country checks the issuing authority's own signature end to end).

It is signed as a compact JWS over its RFC 8785 bytes with the sending node's
key. Each delivery attempt is signed afresh, with the time of that attempt,
under the same message id: a receiver accepts a time within `MAX_SKEW` of its own
clock, and remembers ids for `REMEMBER_IDS`, so a replay is either stale or a
duplicate (acknowledged again, stored once).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from opencustoms.exchange.messages import check_payload, message_type, parse_instant, unknown_type
from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import PublicKey
from opencustoms.trust.signing import Opened, open_token, opened_signature_valid, sign

TYPE = "application/opencustoms-envelope+jws"  # the JWS header's typ: not a certificate
MAX_SKEW = timedelta(minutes=5)
REMEMBER_IDS = timedelta(days=7)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")  # ids, node ids, type names


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    type: str
    version: int
    sender: str  # node ids, as in the partner registry
    receiver: str
    sent_at: datetime  # aware, UTC
    payload: dict[str, Any]
    correlation_id: str | None = None  # the message this one answers
    sequence: int | None = None  # the n-th message about its certificate, sender to receiver

    @property
    def subject(self) -> str | None:
        """The certificate an ordered message concerns ("AUTHORITY/NUMBER"), else None."""
        kind = message_type(self.type, self.version)
        authority, number = self.payload.get("authority"), self.payload.get("number")
        if kind is None or not kind.ordered or not authority or not number:
            return None
        return f"{authority}/{number}"


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": envelope.id,
        "type": envelope.type,
        "version": envelope.version,
        "from": envelope.sender,
        "to": envelope.receiver,
        "sent_at": envelope.sent_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "payload": envelope.payload,
    }
    if envelope.correlation_id is not None:
        out["correlation_id"] = envelope.correlation_id
    if envelope.sequence is not None:
        out["seq"] = envelope.sequence
    return out


def read_envelope(data: Any) -> Envelope:
    """The envelope from its JSON form, or InvalidInput with every problem."""
    if not isinstance(data, dict):
        raise InvalidInput(_bad("envelope", N_("%(path)s: expected an object")))
    found: list[Finding] = []

    def text(name: str, required: bool = True) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not _ID.fullmatch(value):
            found.append(
                _bad(name, N_("%(path)s: letters, digits, '.', '_', ':' and '-', at most 80"))
            )
            return None
        return value

    ident, kind, sender, receiver = text("id"), text("type"), text("from"), text("to")
    correlation = text("correlation_id", required=False)
    version = data.get("version")
    if type(version) is not int or version < 1:
        found.append(_bad("version", N_("%(path)s: expected a whole number, 1 or more")))
    sent_at = parse_instant(data["sent_at"]) if isinstance(data.get("sent_at"), str) else None
    if sent_at is None:
        found.append(
            _bad(
                "sent_at",
                N_("%(path)s: expected a time with its offset, e.g. 2026-06-02T03:00:00Z"),
            )
        )
    sequence = data.get("seq")
    if sequence is not None and (type(sequence) is not int or sequence < 1):
        found.append(_bad("seq", N_("%(path)s: expected a whole number, 1 or more")))
    payload = data.get("payload")
    if not isinstance(payload, dict):
        found.append(_bad("payload", N_("%(path)s: expected an object")))
    extra = sorted(set(data) - _FIELDS)[:5]
    found += [_bad(str(k)[:40], N_("%(path)s: not a field of an envelope")) for k in extra]
    if found:
        raise InvalidInput(*found)
    # every one was checked above
    assert ident is not None
    assert kind is not None
    assert sender is not None
    assert receiver is not None
    assert sent_at is not None
    assert isinstance(payload, dict)
    assert type(version) is int
    return Envelope(
        ident,
        kind,
        version,
        sender,
        receiver,
        sent_at.astimezone(UTC),
        payload,
        correlation,
        sequence,
    )


_FIELDS = {"id", "type", "version", "from", "to", "sent_at", "payload", "correlation_id", "seq"}


def seal_envelope(envelope: Envelope, key: PublicKey, private_pem: bytes, passphrase: str) -> str:
    """The envelope signed with the sending node's key, as sent on the wire."""
    return sign(canonical_bytes(envelope_json(envelope)), key, private_pem, passphrase, TYPE)


@dataclass(frozen=True, slots=True)
class Received:
    """What a receiving node makes of a delivery: the envelope if it could be read, every
    reason to reject it, whether its id was seen before (a duplicate is acknowledged
    again and not applied twice), and whether its sender is who it says (signed by a
    key of that partner: never acknowledge to, or record against, one that is not)."""

    envelope: Envelope | None
    problems: tuple[Finding, ...] = field(default=())
    duplicate: bool = False
    authenticated: bool = False
    signed: bytes = b""  # the envelope's RFC 8785 bytes, as signed (once they are known to be)

    @property
    def digest(self) -> str:
        """What makes the message itself: its signed bytes less the time of the attempt (each
        delivery is signed afresh). The same as `inbox.content_digest` of its envelope,
        without writing the envelope again."""
        assert self.envelope is not None
        assert self.signed
        # the envelope's own key is the last "sent_at" in its bytes: RFC 8785 sorts the keys,
        # and only "to", "type" and "version" follow it (a payload may hold one of its own)
        segment = b'"sent_at":' + orjson.dumps(envelope_json(self.envelope)["sent_at"]) + b","
        at = self.signed.rfind(segment)
        if at < 0:  # not as this node writes it (cannot be, once `receive` accepted it)
            content = canonical_bytes({**envelope_json(self.envelope), "sent_at": None})
        else:
            content = self.signed[:at] + self.signed[at + len(segment) :]
        return hashlib.sha256(content).hexdigest()

    @property
    def accepted(self) -> bool:
        return self.envelope is not None and self.authenticated and not self.problems


def receive(
    token: Any,
    me: str,
    now: datetime,
    node_keys: Mapping[str, Mapping[str, PublicKey]],
    seen: Callable[[str, str], bool],
) -> Received:
    """Open and check a delivered envelope; every reason to reject it is reported.

    `me`: this node's id; `now`: this node's clock (aware); `node_keys`: for each
    active partner node its message-signing keys by kid; `seen(sender, id)`: whether
    that sender's message with that id arrived within `REMEMBER_IDS` (ids are the
    sender's own: one partner cannot shadow another's).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware time")  # a programming error, not input
    if not isinstance(token, str):
        return Received(None, (_reject("envelope", N_("a message is a compact JWS, as text")),))
    try:
        opened = open_token(token)
    except InvalidInput as e:
        return Received(None, e.findings)
    typ = opened.header.get("typ")
    if typ != TYPE:
        reason = N_("this is not a message envelope (typ %(typ)s)")
        return Received(None, (_reject("typ", reason, typ=str(typ)[:60]),))
    try:
        envelope = read_envelope(orjson.loads(opened.payload))
    except ValueError:
        return Received(None, (_reject("envelope", N_("the signed envelope is not JSON")),))
    except InvalidInput as e:
        return Received(None, e.findings)
    problems = _sender_problems(envelope, opened, now, node_keys)
    if problems:  # nothing more is read of what no partner signed
        return Received(envelope, tuple(problems))
    if not _canonical(envelope, opened.payload):
        # one message, one text: no duplicate keys or other spellings a reader might take
        # differently from the signer (RFC 8785 bytes, times as `seal_envelope` writes them)
        reason = N_("the signed envelope is not in its canonical form (RFC 8785)")
        return Received(None, (_reject("envelope", reason),))
    authenticated = True
    if envelope.receiver != me:
        problems.append(
            _reject(
                "to",
                N_("the message is for %(receiver)s, not this node (%(me)s)"),
                receiver=envelope.receiver,
                me=me,
            )
        )
    if abs(now - envelope.sent_at) > MAX_SKEW:
        problems.append(
            _reject(
                "sent_at",
                N_(
                    "sent at %(sent)s, more than %(minutes)s minutes from this node's time %(now)s: stale, replayed or a clock to set"
                ),
                sent=envelope_json(envelope)["sent_at"],
                minutes=int(MAX_SKEW.total_seconds() // 60),
                now=now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            )
        )
    kind = message_type(envelope.type, envelope.version)
    if kind is None:
        problems.append(unknown_type(envelope.type, envelope.version))
    else:
        problems += check_payload(kind, envelope.payload)
        if kind.ordered and envelope.sequence is None:
            problems.append(
                _reject(
                    "seq",
                    N_("%(type)s is delivered in order: the envelope needs its seq"),
                    type=kind.name,
                )
            )
    if problems:
        return Received(envelope, tuple(problems), authenticated=authenticated)
    duplicate = seen(envelope.sender, envelope.id)
    return Received(envelope, (), duplicate, authenticated=True, signed=opened.payload)


def _canonical(envelope: Envelope, payload: bytes) -> bool:
    """Whether the signed bytes are the envelope's RFC 8785 form. A value RFC 8785 cannot
    write (a float, an integer beyond 2^53, nesting past the reader's depth) is not."""
    try:
        written = envelope_json(envelope)
        # most envelopes are the bytes orjson writes with keys sorted (as our nodes sign
        # them): equal, they are the envelope's one text, and the slower walk that
        # normalises text is not needed
        if orjson.dumps(written, option=orjson.OPT_SORT_KEYS) == payload:
            return True
        return canonical_bytes(written) == payload
    except (InvalidInput, ValueError, TypeError, RecursionError):
        return False


def _sender_problems(
    envelope: Envelope,
    opened: Opened,
    now: datetime,
    node_keys: Mapping[str, Mapping[str, PublicKey]],
) -> list[Finding]:
    """Why the envelope is not its sender's, if it is not: unknown sender or key, a bad
    signature, a revoked key or one not valid on the day sent."""
    keys = node_keys.get(envelope.sender)
    key = keys.get(opened.kid) if keys is not None else None
    if keys is None:
        return [
            _reject("from", N_("%(sender)s is not a partner of this node"), sender=envelope.sender)
        ]
    if key is None:
        return [
            _reject(
                "kid",
                N_("%(kid)s is not a key of %(sender)s"),
                kid=opened.kid[:90],
                sender=envelope.sender,
            )
        ]
    if not opened_signature_valid(opened, key):
        return [_reject("signature", N_("the signature is not key %(kid)s's"), kid=key.kid)]
    if key.revoked_at is not None and key.revoked_at <= now:
        return [
            _reject(
                "kid",
                N_("key %(kid)s of %(sender)s is revoked"),
                kid=key.kid,
                sender=envelope.sender,
            )
        ]
    if not key.valid_on(envelope.sent_at.date()):
        return [
            _reject(
                "kid",
                N_("key %(kid)s was not valid on %(day)s"),
                kid=key.kid,
                day=envelope.sent_at.date().isoformat(),
            )
        ]
    return []


def _bad(path: str, template: str) -> Finding:
    return Finding("exchange.bad_envelope", template, {"path": path}, field=path)


def _reject(path: str, template: str, **params: Any) -> Finding:
    return Finding("exchange.rejected", template, params, field=path)
