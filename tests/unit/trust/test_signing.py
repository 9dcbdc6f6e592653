"""Canonical bytes, keys with validity and revocation, compact JWS, the trust list."""

import base64
import json
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import BadSignatureError

from opencustoms.kernel.errors import InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import (
    Algorithm,
    export_trust_list,
    generate,
    import_trust_list,
    public_key,
    revoked,
    standing,
)
from opencustoms.trust.signing import TYPE, open_token, sign, signature_valid

PASS = "correct horse battery"


@pytest.fixture(scope="module", params=list(Algorithm))
def pair(request):
    return generate(
        f"KR-KCS-{request.param.value}",
        request.param,
        "KR-KCS",
        "KR",
        ["rcep"],
        date(2026, 1, 1),
        PASS,
        valid_to=date(2027, 12, 31),
    )


def test_canonical_bytes_sort_keys_normalise_text_and_refuse_numbers():
    decomposed = unicodedata.normalize("NFD", "Café 서울")
    assert canonical_bytes({"b": "1.50", "a": decomposed}) == (
        '{"a":"Café 서울","b":"1.50"}'.encode()
    )
    assert canonical_bytes({"items": [{"number": 1}]}) == b'{"items":[{"number":1}]}'
    with pytest.raises(InvalidInput) as e:
        canonical_bytes({"items": [{"fob_value": 12.5}]})
    assert e.value.finding.render().startswith("$.items[0].fob_value: write amounts")
    with pytest.raises(InvalidInput):
        canonical_bytes({"quantity": Decimal("3")})


_JSON_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "\x00\x1f\x7f", "\u2028\u2029", '"\\/', "\ud800", "\U0001f600", "\ufb01", "e\u0301"]
)
_JSON_KEYS = st.text(st.characters(codec="ascii"), max_size=6) | _JSON_TEXT
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53)])
    | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_KEYS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(_JSON_KEYS, _JSON, max_size=5))
def test_canonical_bytes_are_rfc8785s_whichever_way_they_are_written(document):
    """The fast way (`orjson`, keys sorted) must give RFC 8785's bytes exactly, or leave
    the document to `rfc8785`: control characters, line separators, astral and
    decomposed text, integers at and beyond 2**53, keys beyond ASCII."""
    try:
        expected = rfc8785.dumps(_normalised(document))
    except Exception as e:  # what RFC 8785 cannot write, the fast way must not write either
        with pytest.raises(type(e)):
            canonical_bytes(document)
        return
    assert canonical_bytes(document) == expected


def _normalised(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def test_sign_open_and_check(pair):
    key, pem = pair
    payload = canonical_bytes({"number": "KR-2026-1", "fob_value": "100.00"})
    token = sign(payload, key, pem, PASS)
    opened = open_token(token)
    assert (opened.kid, opened.algorithm, opened.payload) == (key.kid, key.algorithm, payload)
    assert signature_valid(token, key)
    header, body, signature = token.split(".")
    other = sign(canonical_bytes({"number": "KR-2026-2"}), key, pem, PASS).split(".")[1]
    assert not signature_valid(f"{header}.{other}.{signature}", key)  # payload swapped
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert not signature_valid(f"{header}.{body}.{flipped}", key)  # signature altered


def test_a_token_verifies_with_a_jose_library_too(pair):
    """Signed without the JWS library's layers, the token is still RFC 7515's: a partner
    checking it with a JOSE library (here `joserfc`) finds the same header, payload and
    a good signature, and a tampered one fails there as well."""
    key, pem = pair
    payload = canonical_bytes({"number": "KR-2026-1", "name": "서울 무역"})
    token = sign(payload, key, pem, PASS)
    found = jws.deserialize_compact(token, public_key(key), algorithms=[key.algorithm.value])
    assert found.payload == payload
    assert found.protected == {"alg": key.algorithm.value, "kid": key.kid, "typ": TYPE}
    bare = sign(payload, key, pem, PASS, typ=None)
    algorithms = [key.algorithm.value]
    assert jws.deserialize_compact(bare, public_key(key), algorithms=algorithms).protected == {
        "alg": key.algorithm.value,
        "kid": key.kid,
    }
    header, _, signature = token.split(".")
    other = base64.urlsafe_b64encode(b'{"number":"KR-2026-2"}').rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(f"{header}.{other}.{signature}", public_key(key), algorithms)


def test_a_token_that_is_not_one_says_why():
    for token, words in (
        ("abc", "three dot-separated parts"),
        ("e30.e30.e30", "names no key"),
        ("!!.e30.e30", "not base64url"),
    ):
        with pytest.raises(InvalidInput) as e:
            open_token(token)
        assert words in e.value.finding.render()


def test_a_wrong_passphrase_or_a_weak_one_is_refused(pair):
    key, pem = pair
    with pytest.raises(InvalidInput) as e:
        sign(b"{}", key, pem, "not the passphrase")
    assert "passphrase is wrong" in e.value.finding.render()
    assert b"ENCRYPTED PRIVATE KEY" in pem  # never in clear
    with pytest.raises(InvalidInput):
        generate("k", Algorithm.ED25519, "KR-KCS", "KR", [], date(2026, 1, 1), "short")


def test_standing_follows_validity_rotation_and_compromise(pair):
    key, _ = pair
    assert standing(key, date(2026, 6, 1), None).ok
    assert not standing(key, date(2028, 1, 1), None).ok  # issued after the key's validity
    compromised = revoked(key, datetime(2026, 9, 1, tzinfo=UTC), "key compromised")
    before = datetime(2026, 8, 1, tzinfo=UTC)
    assert standing(compromised, date(2026, 7, 1), before).ok  # a trusted record predates T
    verdict = standing(compromised, date(2026, 7, 1), None)
    assert not verdict.ok
    assert "revoked as compromised at 2026-09-01T00:00:00+00:00" in verdict.render()


def test_the_trust_list_round_trips_and_refuses_a_bad_one(pair):
    key, _ = pair
    listed = export_trust_list([revoked(key, datetime(2026, 9, 1, tzinfo=UTC), "compromised")])
    assert "d" not in listed["keys"][0]  # public members only
    [back] = import_trust_list(json.dumps(listed), "trust.json")
    assert back.kid == key.kid
    assert back.revoked_at == datetime(2026, 9, 1, tzinfo=UTC)
    key_, pem = pair
    assert signature_valid(sign(b"{}", key_, pem, PASS), back)  # the listed key checks it
    bad = {
        "keys": [
            {"kid": "x"},
            {**listed["keys"][0], "alg": "HS256"},
            listed["keys"][0],
            listed["keys"][0],
        ]
    }
    with pytest.raises(InvalidInput) as e:
        import_trust_list(json.dumps(bad), "trust.json")
    messages = [f.render() for f in e.value.findings]
    assert messages[0].startswith("trust.json, keys[0]: missing alg, kty, authority")
    assert "keys[1]: 'HS256' is not an algorithm" in messages[1]
    assert "keys[3]: key id" in messages[2]


def test_a_token_cannot_choose_another_algorithm(pair):
    key, pem = pair
    token = sign(b"{}", key, pem, PASS)
    _head, body, signature = token.split(".")
    other = "ES256" if key.algorithm is Algorithm.ED25519 else "Ed25519"
    forged = (
        base64.urlsafe_b64encode(json.dumps({"alg": other, "kid": key.kid}).encode())
        .rstrip(b"=")
        .decode()
    )
    assert not signature_valid(f"{forged}.{body}.{signature}", key)
    assert not signature_valid("not.a token", key)


def test_ids_that_could_name_a_path_are_refused():
    for kid, authority in (("../../etc/passwd", "KR-KCS"), ("k1", "KR/KCS"), ("a..b", "KR")):
        with pytest.raises(InvalidInput):
            generate(kid, Algorithm.ED25519, authority, "KR", [], date(2026, 1, 1), PASS)
    key, _ = generate("k1", Algorithm.ED25519, "KR-KCS", "KR", [], date(2026, 1, 1), PASS)
    entry = export_trust_list([key])["keys"][0]
    with pytest.raises(InvalidInput) as e:
        import_trust_list(json.dumps({"keys": [{**entry, "kid": "../k1"}]}), "t.json")
    assert "is not a key id" in e.value.finding.render()
    with pytest.raises(InvalidInput) as e:
        import_trust_list(json.dumps({"keys": [{**entry, "agreements": "rcep"}]}), "t.json")
    assert "agreements is a list" in e.value.finding.render()
