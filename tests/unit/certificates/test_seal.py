"""The QR seal: claims over the signed payload, signed, at most 400 characters, checked offline."""

from datetime import date

import pytest

from opencustoms.certificates.seal import MAX_QR, check_seal, claims, make_seal, qr_text
from opencustoms.kernel.errors import DomainError
from opencustoms.trust.keys import Algorithm, generate

PASS = "correct horse battery"


@pytest.fixture(scope="module", params=list(Algorithm))
def signer(request):
    # as long as a key id this node makes for an authority of 14 characters
    kid = "KR-KCS-BUSAN01-0c42e4f1"
    return generate(kid, request.param, "KR-KCS", "KR", ["rcep"], date(2026, 1, 1), PASS)


def test_a_seal_fits_the_qr_code_and_checks_offline(signer):
    key, pem = signer
    values = claims("KR-KCS-2026-000001", "KR-KCS", date(2026, 6, 2), b'{"signed":"payload"}')
    assert values["d"] == "2026-06-02"
    assert len(values["h"]) == 43  # SHA-256, base64url without padding
    seal = make_seal(values, key, pem, PASS)
    text = qr_text("https://verify.customs.go.kr", "KR-KCS", "KR-KCS-2026-000001", seal)
    assert len(text) <= MAX_QR
    assert text.startswith("https://verify.customs.go.kr/verify/KR-KCS/KR-KCS-2026-000001#")
    checked = check_seal(text.split("#", 1)[1], {key.kid: key})
    assert checked.valid
    assert checked.claims == values
    assert "KR-KCS-2026-000001" in checked.render()


def test_a_changed_or_foreign_seal_fails(signer):
    key, pem = signer
    values = claims("KR-KCS-2026-000001", "KR-KCS", date(2026, 6, 2), b"x")
    seal = make_seal(values, key, pem, PASS)
    head, _body, sig = seal.split(".")
    other = make_seal(values | {"n": "KR-KCS-2026-000002"}, key, pem, PASS).split(".")[1]
    assert not check_seal(f"{head}.{other}.{sig}", {key.kid: key}).valid
    assert "no key" in check_seal(seal, {}).render()
    assert not check_seal("not a seal", {key.kid: key}).valid
    from dataclasses import replace

    assert not check_seal(seal, {key.kid: replace(key, authority="JP-MOF")}).valid


def test_a_public_url_too_long_for_the_code_is_refused(signer):
    key, pem = signer
    seal = make_seal(claims("N-1", "KR-KCS", date(2026, 6, 2), b"x"), key, pem, PASS)
    with pytest.raises(DomainError, match="shorten OPENCUSTOMS_PUBLIC_URL"):
        qr_text("https://" + "a" * 200 + ".example", "KR-KCS", "N-1", seal)


def test_an_authority_id_of_fourteen_characters_still_fits(signer):
    # the authority is named in the URL, the number and the seal: longer ids are refused at
    # issue (the QR code would not scan from paper), with what to shorten
    key, pem = signer
    authority = "KR-KCS-BUSAN01"
    number = f"{authority}-2026-000001"  # the default number format
    seal = make_seal(claims(number, authority, date(2026, 6, 2), b"x"), key, pem, PASS)
    assert len(qr_text("https://verify.customs.go.kr", authority, number, seal)) <= MAX_QR
