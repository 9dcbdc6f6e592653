"""Messages and their signed envelopes: the registry of types, payload checks, and what
a receiving node accepts — sender, key, signature, receiver, time, replay, type."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opencustoms.exchange.envelope import (
    MAX_SKEW,
    TYPE,
    Envelope,
    envelope_json,
    read_envelope,
    receive,
    seal_envelope,
)
from opencustoms.exchange.messages import REGISTRY, TYPES, check_payload, message_type
from opencustoms.kernel.errors import InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import Algorithm, generate, revoked
from opencustoms.trust.signing import sign

PASS = "correct horse battery"
NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
SIGNED = {
    "certificate": json.loads(
        (Path(__file__).parents[2] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
    ),
    "jws": "a.b.c",
}
PAYLOADS = {
    "certificate.issued": {"authority": "KR-KCS", "number": "N-1", "document": SIGNED},
    "certificate.replaced": {
        "authority": "KR-KCS",
        "number": "N-1",
        "by": "N-2",
        "document": SIGNED,
    },
    "certificate.revoked": {
        "authority": "KR-KCS",
        "number": "N-1",
        "revoked_at": "2026-06-02T01:00:00Z",
    },
    "certificate.pull": {"authority": "KR-KCS", "number": "N-1"},
    "ack": {"of": "msg_1", "outcome": "rejected", "reasons": ["bad signature"]},
    "utilization": {
        "authority": "KR-KCS",
        "number": "N-1",
        "outcome": "applied",
        "declaration": "VN-IMP-77",
        "on": "2026-06-20",
    },
    "verification.request": {
        "authority": "KR-KCS",
        "number": "N-1",
        "questions": ["Where were the lathes' castings made?"],
        "reply_by": "2026-09-01",
    },
    "verification.response": {
        "authority": "KR-KCS",
        "number": "N-1",
        "request": "msg_9",
        "outcome": "partially",
        "findings": ["item 2 does not meet RVC40"],
    },
}


@pytest.fixture(scope="module", params=list(Algorithm))
def korea(request):
    return generate(
        f"KR-NODE-{request.param.value}",
        request.param,
        "KR-NODE",
        "KR",
        ["exchange"],
        date(2026, 1, 1),
        PASS,
    )


def _envelope(kind="certificate.issued", **changes):
    fields = {
        "id": "msg_1",
        "type": kind,
        "version": 1,
        "sender": "KR-NODE",
        "receiver": "VN-NODE",
        "sent_at": NOW,
        "payload": PAYLOADS[kind],
        "sequence": 1 if message_type(kind, 1).ordered else None,
    } | changes
    return Envelope(**fields)


def _receive(token, korea, now=NOW, seen=frozenset(), me="VN-NODE"):
    key, _ = korea
    return receive(token, me, now, {"KR-NODE": {key.kid: key}}, lambda who, i: (who, i) in seen)


def test_every_type_is_registered_once_with_a_payload_it_accepts():
    assert len(REGISTRY) == len(TYPES)
    assert set(PAYLOADS) == {t.name for t in TYPES}
    for kind in TYPES:
        assert check_payload(kind, PAYLOADS[kind.name]) == [], kind.name


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_type_travels_signed_and_is_accepted(korea, kind):
    key, pem = korea
    envelope = _envelope(kind, correlation_id="msg_0")
    token = seal_envelope(envelope, key, pem, PASS)
    got = _receive(token, korea)
    assert got.accepted, [p.render() for p in got.problems]
    assert not got.duplicate
    assert got.envelope == envelope
    assert read_envelope(envelope_json(envelope)) == envelope


def test_a_payload_is_checked_field_by_field_with_paths():
    kind = message_type("utilization", 1)
    bad = {"authority": "", "number": "N-1", "outcome": "maybe", "on": "20.6.2026", "extra": 1}
    rendered = sorted(f.render() for f in check_payload(kind, bad))
    assert rendered == [
        "payload.authority: expected text",
        "payload.declaration: required",
        "payload.extra: not a field of utilization version 1",
        "payload.on: expected a date, YYYY-MM-DD",
        "payload.outcome: expected one of applied, denied",
    ]
    assert check_payload(kind, [])[0].render() == "payload: expected an object"


def test_an_unknown_type_or_version_is_rejected_by_name(korea):
    key, pem = korea
    for kind, version in (("aeo.list", 1), ("certificate.issued", 9)):
        envelope = replace(_envelope(), type=kind, version=version)
        got = _receive(seal_envelope(envelope, key, pem, PASS), korea)
        assert not got.accepted
        assert [p.code for p in got.problems] == ["exchange.unknown_type"]
        assert (
            f"type {kind} version {version} is not one this node knows" in got.problems[0].render()
        )


def test_what_a_receiver_rejects_and_why(korea):
    key, pem = korea
    good = seal_envelope(_envelope(), key, pem, PASS)

    def reasons(got):
        assert not got.accepted
        return " | ".join(p.render() for p in got.problems)

    # another receiver; a stale or future time (a replay of an old attempt)
    assert "is for VN-NODE, not this node (CN-NODE)" in reasons(_receive(good, korea, me="CN-NODE"))
    late = NOW + MAX_SKEW + timedelta(seconds=1)
    assert "more than 5 minutes from this node's time" in reasons(_receive(good, korea, now=late))
    early = NOW - MAX_SKEW - timedelta(seconds=1)
    assert "stale, replayed" in reasons(_receive(good, korea, now=early))
    # an unknown sender; a key the sender does not have
    assert "is not a partner" in reasons(receive(good, "VN-NODE", NOW, {}, lambda who, i: False))
    other, other_pem = generate(
        "KR-NODE-2", key.algorithm, "KR-NODE", "KR", ["exchange"], date(2026, 1, 1), PASS
    )
    forged = seal_envelope(_envelope(), other, other_pem, PASS)
    assert "KR-NODE-2 is not a key of KR-NODE" in reasons(_receive(forged, korea))
    # tampering with the signed envelope
    header, _, signature = good.split(".")
    other_body = seal_envelope(replace(_envelope(), receiver="VN-NODE2"), key, pem, PASS)
    tampered = f"{header}.{other_body.split('.')[1]}.{signature}"
    assert "the signature is not key" in reasons(_receive(tampered, korea))
    # a revoked key; a key not yet valid on the day sent
    was_revoked = {"KR-NODE": {key.kid: revoked(key, NOW - timedelta(hours=1), "compromised")}}
    assert "is revoked" in reasons(receive(good, "VN-NODE", NOW, was_revoked, lambda who, i: False))
    future = {"KR-NODE": {key.kid: replace(key, valid_from=date(2026, 7, 1))}}
    assert "was not valid on 2026-06-02" in reasons(
        receive(good, "VN-NODE", NOW, future, lambda who, i: False)
    )
    # a certificate's JWS is not an envelope; garbage is not a JWS
    not_envelope = sign(b'{"id":"x"}', key, pem, PASS)
    assert "not a message envelope" in reasons(_receive(not_envelope, korea))
    assert "three dot-separated parts" in reasons(_receive("garbage", korea))
    # an ordered type without its place in the sequence
    unordered = seal_envelope(_envelope(sequence=None), key, pem, PASS)
    assert "needs its seq" in reasons(_receive(unordered, korea))


def test_a_message_seen_before_is_a_duplicate_not_a_rejection(korea):
    key, pem = korea
    # each attempt is signed afresh with its own time, under the same id
    again = seal_envelope(_envelope(sent_at=NOW + timedelta(seconds=30)), key, pem, PASS)
    got = _receive(again, korea, now=NOW + timedelta(seconds=31), seen={("KR-NODE", "msg_1")})
    assert got.accepted
    assert got.duplicate
    # ids are the sender's own: another partner's message with that id is not this one
    other = _receive(again, korea, now=NOW + timedelta(seconds=31), seen={("CN-NODE", "msg_1")})
    assert not other.duplicate


def test_a_bad_envelope_says_every_problem():
    with pytest.raises(InvalidInput) as e:
        read_envelope(
            {"id": "", "type": "ack", "version": 0, "from": "KR", "sent_at": "today", "x": 1}
        )
    assert sorted(f.render() for f in e.value.findings) == [
        "id: letters, digits, '.', '_', ':' and '-', at most 80",
        "payload: expected an object",
        "sent_at: expected a time with its offset, e.g. 2026-06-02T03:00:00Z",
        "to: letters, digits, '.', '_', ':' and '-', at most 80",
        "version: expected a whole number, 1 or more",
        "x: not a field of an envelope",
    ]


@pytest.mark.parametrize(
    "sent_at",
    [
        "9999-12-31T23:59:59-01:00",  # beyond what a date can hold once in UTC
        "0001-01-01T00:00:00+01:00",
        "2026-W23-2T03:00Z",  # ISO 8601, not RFC 3339
        "20260602T030000Z",
        "2026-06-02T03Z",
        "2026-06-02T03:00:00",  # no offset
        "1999-12-31T23:59:59Z",  # outside the years a customs message can mean
    ],
)
def test_an_odd_time_is_a_finding_never_a_crash(korea, sent_at):
    key, pem = korea
    body = envelope_json(_envelope()) | {"sent_at": sent_at}
    token = sign(canonical_bytes(body), key, pem, PASS, TYPE)
    got = _receive(token, korea)
    assert not got.accepted
    assert [p.field for p in got.problems] == ["sent_at"]


def test_odd_ids_dates_and_tokens_are_findings(korea):
    key, pem = korea
    with pytest.raises(InvalidInput, match="id: letters, digits"):
        read_envelope(envelope_json(_envelope()) | {"id": "a\n\x00b\u202e"})
    kind = message_type("utilization", 1)
    said = check_payload(kind, PAYLOADS["utilization"] | {"on": "2026-W23-2"})
    assert [f.render() for f in said] == ["payload.on: expected a date, YYYY-MM-DD"]
    assert not _receive(b"a.b.c", korea).accepted  # bytes are not the wire's text
    unsigned = _receive(seal_envelope(_envelope(receiver="CN-NODE"), key, pem, PASS), korea)
    assert unsigned.authenticated  # rejected for its receiver, but its sender is who it says
    other, other_pem = generate(
        "KR-NODE-9", key.algorithm, "KR-NODE", "KR", ["exchange"], date(2026, 1, 1), PASS
    )
    assert not _receive(seal_envelope(_envelope(), other, other_pem, PASS), korea).authenticated
    assert _envelope(payload={}).subject is None


def test_only_canonical_bytes_and_no_unknown_extensions_are_accepted(korea):
    from opencustoms.trust.signing import b64url_encode

    key, pem = korea
    canonical = canonical_bytes(envelope_json(_envelope()))
    # the same envelope with a key written twice: readers could disagree on what it says
    doubled = canonical[:-1] + b',"to":"CN-NODE"}'
    token = sign(doubled, key, pem, PASS, TYPE)
    got = _receive(token, korea)
    assert not got.accepted
    assert "not in its canonical form" in got.problems[0].render()
    # a header that asks for an extension this node does not implement (RFC 7515 4.1.11)
    header = {"alg": "EdDSA", "kid": key.kid, "typ": TYPE, "crit": ["exp"], "exp": 1}
    token = ".".join(
        b64url_encode(part) for part in (canonical_bytes(header), canonical, bytes(64))
    )
    got = _receive(token, korea)
    assert "crit" in got.problems[0].render()


def test_a_received_messages_digest_is_its_content_less_the_time_sent(korea):
    from opencustoms.exchange.inbox import content_digest

    key, pem = korea
    envelope = _envelope(sent_at=NOW + timedelta(seconds=30))
    got = _receive(seal_envelope(envelope, key, pem, PASS), korea, now=NOW)
    assert got.digest == content_digest(envelope)  # from the signed bytes, not written again
    later = _receive(seal_envelope(_envelope(), key, pem, PASS), korea)
    assert later.digest == got.digest  # another attempt: the same message


def test_the_digest_ignores_only_the_envelopes_own_time_sent(korea):
    from opencustoms.exchange.inbox import content_digest

    key, pem = korea
    at = "2026-06-02T03:00:30Z"
    document = {"certificate": {"sent_at": at, **SIGNED["certificate"]}, "jws": "a.b.c"}
    payload = {**PAYLOADS["certificate.issued"], "document": document}
    envelope = _envelope(sent_at=NOW + timedelta(seconds=30), payload=payload)
    got = _receive(seal_envelope(envelope, key, pem, PASS), korea, now=NOW)
    assert got.accepted
    assert got.digest == content_digest(envelope)
