"""Signing a certificate and verifying it: every check, and every tampering detected."""

import base64
import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import certificate_json, read_certificate
from opencustoms.certificates.signed import (
    CHECKS,
    Outcome,
    Record,
    payload_digest,
    sign_certificate,
    verify,
)
from opencustoms.kernel.errors import DomainError
from opencustoms.trust.keys import Algorithm, generate, revoked
from opencustoms.trust.signing import b64url_decode

PASS = "correct horse battery"
FORMS = shipped_forms()
SAMPLE = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)
ON = date(2026, 7, 1)


@pytest.fixture(scope="module", params=list(Algorithm))
def signer(request):
    key, pem = generate(
        f"KR-KCS-{request.param.value}",
        request.param,
        "KR-KCS",
        "KR",
        ["rcep"],
        date(2026, 1, 1),
        PASS,
    )
    return key, pem


@pytest.fixture(scope="module")
def other():
    """Another trusted key of the same authority (a rotated one)."""
    return generate(
        "KR-KCS-old", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], date(2025, 1, 1), PASS
    )


def _signed(signer, data=SAMPLE):
    key, pem = signer
    cert = read_certificate(data)
    return sign_certificate(cert, FORMS[cert.form], key, pem, PASS)


def _trust(*pairs):
    return {key.kid: key for key, _pem in pairs}


def _failed(verdict):
    return {c.name for c in verdict.checks if c.outcome is Outcome.FAILED}


def test_the_json_form_reads_back_as_the_same_certificate():
    cert = read_certificate(SAMPLE)
    assert read_certificate(certificate_json(cert)) == cert
    assert certificate_json(cert)["items"][0]["fob_value"] == "10500.00"
    assert certificate_json(cert)["replaces"] == "KR-KCS-2026-000100"


def test_a_signed_certificate_verifies_with_every_check_named(signer):
    document = _signed(signer)
    assert document["certificate"]["items"][0]["quantity"] == "100"  # decimal strings
    verdict = verify(json.dumps(document), ON, _trust(signer), FORMS)
    assert [c.name for c in verdict.checks] == list(CHECKS)
    assert verdict.valid, [c.render() for c in verdict.checks]
    status = verdict.check("status")
    assert status.outcome is Outcome.NOT_CHECKED
    assert status.ok is None
    assert "offline" in status.render()
    assert verdict.certificate == read_certificate(SAMPLE)


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _mutated(value, path):
    """A different value of the same kind, still readable."""
    name = path[-1]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 10
    if name in {"country", "origin_country", "export_country", "import_country"}:
        return "CN" if value != "CN" else "VN"
    if name == "hs":
        return "847989"
    if "date" in str(name):
        return (date.fromisoformat(value) + timedelta(days=1)).isoformat()
    if name in {"quantity", "fob_value", "gross_weight_kg"}:
        return str(int(float(value)) + 1)
    return value + "X"


def _at(doc, path):
    for p in path[:-1]:
        doc = doc[p]
    return doc


def _forged(token, payload):
    """The token with its payload replaced and the original signature kept."""
    header, _body, signature = token.split(".")
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def _paths(sample):
    return list(_leaves(sample))


@pytest.mark.parametrize("path", _paths(SAMPLE), ids=lambda p: ".".join(map(str, p)))
def test_a_field_changed_in_the_readable_copy_is_named(signer, path):
    document = _signed(signer)
    parent = _at(document["certificate"], path)
    parent[path[-1]] = _mutated(parent[path[-1]], path)
    verdict = verify(document, ON, _trust(signer), FORMS)
    assert not verdict.valid
    assert "copy" in _failed(verdict)
    assert verdict.check("signature").ok  # the signed bytes are intact
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert where in verdict.check("copy").render()


@pytest.mark.parametrize("path", _paths(SAMPLE), ids=lambda p: ".".join(map(str, p)))
def test_a_field_changed_in_the_signed_payload_breaks_the_signature(signer, path):
    document = _signed(signer)
    payload = json.loads(b64url_decode(document["jws"].split(".")[1]))
    parent = _at(payload, path)
    parent[path[-1]] = _mutated(parent[path[-1]], path)
    forged = {"certificate": payload, "jws": _forged(document["jws"], json.dumps(payload).encode())}
    verdict = verify(forged, ON, _trust(signer), FORMS)
    assert not verdict.valid
    assert "signature" in _failed(verdict)
    assert verdict.check("copy").ok  # the forger kept the copy in step


def test_a_field_added_or_removed_breaks_the_signature(signer):
    document = _signed(signer)
    for change in (
        lambda p: p["remarks"].update(issued_retroactively=True),
        lambda p: p.pop("producer"),
        lambda p: p["items"].pop(),
    ):
        payload = json.loads(b64url_decode(document["jws"].split(".")[1]))
        change(payload)
        token = _forged(document["jws"], json.dumps(payload).encode())
        verdict = verify({"certificate": payload, "jws": token}, ON, _trust(signer), FORMS)
        assert "signature" in _failed(verdict)


def test_a_changed_signature_or_key_id_fails_the_signature(signer, other):
    document = _signed(signer)
    header, body, signature = document["jws"].split(".")
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    trust = _trust(signer, other)
    verdict = verify({**document, "jws": f"{header}.{body}.{flipped}"}, ON, trust, FORMS)
    assert _failed(verdict) == {"signature"}
    for kid in ("KR-KCS-old", "nobody"):
        new_header = json.loads(b64url_decode(header)) | {"kid": kid}
        encoded = base64.urlsafe_b64encode(json.dumps(new_header).encode()).rstrip(b"=").decode()
        verdict = verify({**document, "jws": f"{encoded}.{body}.{signature}"}, ON, trust, FORMS)
        assert "signature" in _failed(verdict)
        assert kid in verdict.check("signature").render()


def test_unreadable_documents_fail_the_structure_and_check_nothing_else(signer):
    document = _signed(signer)
    for bad in ("not json", "[]", {"certificate": {}}, {**document, "jws": "a.b"}):
        verdict = verify(bad, ON, _trust(signer), FORMS)
        assert _failed(verdict) == {"structure"}
        assert all(c.outcome is Outcome.NOT_CHECKED for c in verdict.checks[1:])
        assert not verdict.valid


def test_an_issuer_not_trusted_for_the_agreement_or_country_fails(signer):
    key, _pem = signer
    document = _signed(signer)
    for changed in (
        {"agreements": ("akfta",)},
        {"country": "JP"},
        {"authority": "JP-MOF"},
    ):
        from dataclasses import replace

        verdict = verify(document, ON, {key.kid: replace(key, **changed)}, FORMS)
        assert _failed(verdict) == {"issuer"}, changed


def test_validity_is_one_year_from_the_issue_date(signer):
    document = _signed(signer)  # issued 2026-06-02; RCEP Article 3.16: one year
    trust = _trust(signer)
    assert verify(document, date(2027, 6, 1), trust, FORMS).valid
    late = verify(document, date(2027, 6, 2), trust, FORMS)
    assert _failed(late) == {"validity"}
    assert "2027-06-01" in late.check("validity").render()
    assert _failed(verify(document, date(2026, 6, 1), trust, FORMS)) == {"validity"}


def test_a_rotated_key_still_verifies_what_it_signed_while_valid(signer):
    key, _pem = signer
    document = _signed(signer)
    from dataclasses import replace

    retired = replace(key, valid_to=date(2026, 6, 30))
    assert verify(document, ON, {key.kid: retired}, FORMS).valid
    too_early = replace(key, valid_from=date(2026, 6, 3))
    assert _failed(verify(document, ON, {key.kid: too_early}, FORMS)) == {"key"}


class _Register:
    def __init__(self, record, ours=()):
        self._record = record
        self._ours = ours

    def record(self, authority, number):
        return self._record if (authority, number) == ("KR-KCS", SAMPLE["number"]) else None

    def signed_here(self, kid):
        return kid in self._ours


def _record(document, **changes):
    payload = b64url_decode(document["jws"].split(".")[1])
    since = changes.pop("known_since", datetime(2026, 6, 2, 1, tzinfo=UTC))
    digest = changes.pop("payload_sha256", payload_digest(payload))
    return Record(**({"status": "issued", "known": {digest: since}} | changes))


def test_a_compromised_key_verifies_only_what_a_trusted_record_shows_before(signer):
    key, _pem = signer
    document = _signed(signer)
    compromised = {key.kid: revoked(key, datetime(2026, 6, 10, tzinfo=UTC), "stolen")}
    offline = verify(document, ON, compromised, FORMS)
    assert _failed(offline) == {"key"}
    assert "compromised" in offline.check("key").render()
    register = _Register(_record(document))
    on_record = verify(document, ON, compromised, FORMS, register)
    assert on_record.valid
    assert on_record.check("status").ok
    after = _Register(_record(document, known_since=datetime(2026, 6, 11, tzinfo=UTC)))
    assert _failed(verify(document, ON, compromised, FORMS, after)) == {"key"}


def test_status_from_the_register(signer):
    document = _signed(signer)
    trust = _trust(signer)
    revoked_record = _Register(_record(document, status="revoked", reason="goods not originating"))
    verdict = verify(document, ON, trust, FORMS, revoked_record)
    assert _failed(verdict) == {"status"}
    assert "goods not originating" in verdict.check("status").render()
    replaced = _Register(_record(document, status="replaced", replaced_by="KR-KCS-2026-000200"))
    assert (
        "KR-KCS-2026-000200"
        in verify(document, ON, trust, FORMS, replaced).check("status").render()
    )
    other_content = _Register(_record(document, payload_sha256="0" * 64))
    assert _failed(verify(document, ON, trust, FORMS, other_content)) == {"status"}
    unknown = verify(document, ON, trust, FORMS, _Register(None))
    assert unknown.valid
    assert unknown.check("status").outcome is Outcome.NOT_CHECKED


def test_form_rules_are_checked_on_the_signed_certificate(signer):
    data = copy.deepcopy(SAMPLE)
    del data["items"][0]["fob_value"]  # an RVC item without its FOB value (Annex 3B 1(k))
    verdict = verify(_signed(signer, data), ON, _trust(signer), FORMS)
    assert _failed(verdict) == {"form"}
    assert "items[0].fob_value" in verdict.check("form").render()


def test_only_an_issued_certificate_is_signed_and_only_by_its_authority(signer, other):
    key, pem = signer
    unissued = read_certificate({k: v for k, v in SAMPLE.items() if k != "number"})
    with pytest.raises(DomainError):
        sign_certificate(unissued, FORMS["rcep-co"], key, pem, PASS)
    from dataclasses import replace

    cert = read_certificate(SAMPLE)
    with pytest.raises(DomainError):
        sign_certificate(cert, FORMS["rcep-co"], replace(key, authority="JP-MOF"), pem, PASS)
    with pytest.raises(DomainError):
        sign_certificate(
            cert, FORMS["rcep-co"], replace(key, valid_from=date(2026, 7, 1)), pem, PASS
        )


def test_a_certificate_of_this_nodes_own_authority_it_never_issued_fails(signer):
    document = _signed(signer)
    key, _pem = signer
    verdict = verify(document, ON, _trust(signer), FORMS, _Register(None, ours=(key.kid,)))
    assert _failed(verdict) == {"status"}
    assert "never issued KR-KCS-2026-000123" in verdict.check("status").render()
    # signed by another node of the same authority: not this node's to deny
    assert verify(document, ON, _trust(signer), FORMS, _Register(None, ours=("other",))).valid


@pytest.mark.parametrize(
    ("issued", "months", "last"),
    [
        (date(2026, 6, 2), 12, date(2027, 6, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # no 29 February: the month's last day
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 1), 24, date(2028, 2, 29)),
        (date(9999, 6, 1), 12, date(9999, 12, 31)),  # the calendar's end, not a crash
    ],
)
def test_the_last_day_of_validity(issued, months, last):
    from opencustoms.certificates.signed import last_valid_day

    assert last_valid_day(issued, months) == last


def test_a_signature_written_otherwise_than_its_one_text_fails(signer):
    document = _signed(signer)
    header, body, signature = document["jws"].split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = signature[-1]
    # the last character of a 64-byte signature carries 4 unused bits
    sibling = next(
        c for c in alphabet if c != last and alphabet.index(c) >> 4 == alphabet.index(last) >> 4
    )
    for text in (signature[:-1] + sibling, signature + "==", signature[:10] + "!" + signature[10:]):
        verdict = verify({**document, "jws": f"{header}.{body}.{text}"}, ON, _trust(signer), FORMS)
        assert not verdict.valid, text
