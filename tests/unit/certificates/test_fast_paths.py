"""The verifier's fast paths give what the long ways give, on good input and on bad.

`read_canonical_certificate` reads a signed payload leanly and leaves anything
unusual to `read_certificate`: both must accept the same certificates and refuse
the same input with the same findings. `validate` reads a form's required fields
at once before going through them one by one; `open_token` may be told which
payload to expect; `verify` reads a document's payload once when its readable
copy is the same JSON. None of them may change a verdict.
"""

import base64
import binascii
import copy
import json
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pycountry
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import (
    _canonical,
    _is_alpha2,
    _Unusual,
    certificate_json,
    read_canonical_certificate,
    read_certificate,
)
from opencustoms.certificates.model import Certificate, Item
from opencustoms.certificates.signed import sign_certificate, verify
from opencustoms.certificates.validation import _lacks_some, _missing, _plan, validate
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import DomainError, InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import Algorithm, generate
from opencustoms.trust.signing import (
    b64url_decode,
    b64url_encode,
    open_token,
    opened_private_key,
    sign,
    signature_valid,
)

PASS = "correct horse battery"
FORMS = shipped_forms()
SAMPLE = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)
CASES = Path(__file__).parents[3] / "src" / "opencustoms" / "certificates" / "cases"
ON = date(2026, 7, 1)


def _case_certificates() -> list[Certificate]:
    """Every certificate of the forms' legal cases that reads (some are meant not to)."""
    out = []
    for path in sorted(CASES.glob("*.cases.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            given_ = case.get("input", {})
            data = given_.get("certificate")
            if not isinstance(data, dict):
                continue
            data = {**data, **given_.get("with", {})}
            try:
                out.append(read_certificate(data))
            except DomainError:
                continue
    return out


CERTIFICATES = [read_certificate(SAMPLE), *_case_certificates()]
PAYLOADS = [orjson.loads(canonical_bytes(certificate_json(c))) for c in CERTIFICATES]


def _outcome(read: Any, data: Any) -> tuple[str, Any]:
    """What a reader makes of the data: the certificate exactly (Decimal digits and all),
    or the findings it refuses it with."""
    try:
        cert = read(data)
    except DomainError as e:
        return "refused", [(f.code, f.field, f.render()) for f in e.findings]
    return "read", (repr(cert), cert)


def test_the_cases_give_enough_certificates_to_compare():
    assert len(CERTIFICATES) > 20
    assert {c.form for c in CERTIFICATES} == set(FORMS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"{p['form']}-{len(p['items'])}")
def test_a_canonical_payload_takes_the_fast_path_to_the_same_certificate(payload):
    fast = _canonical(payload)  # raises _Unusual if the lean reader gave up
    assert repr(fast) == repr(read_certificate(payload))


def test_the_alpha2_codes_the_fast_path_keeps_are_those_country_reads_as_themselves():
    for record in pycountry.countries:
        assert _is_alpha2(record.alpha_2)
        assert Country(record.alpha_2).alpha2 == record.alpha_2
    assert _is_alpha2("XK")
    for code in ("kr", "KOR", "XKX", "ZZ", "", " KR", "K", "KRR", "Kr"):
        assert not _is_alpha2(code), code


# Values a sender might put anywhere: each is refused, read as is, or read another way
# (stripped, upper-cased, an alpha-3 code, dots taken out of an HS code, a -0 amount)
TRICKY = [
    None,
    "",
    " ",
    "\u00a0",
    "  padded  ",
    "x",
    "KR",
    "kr",
    " KR ",
    "KOR",
    "XK",
    "XKX",
    "ZZ",
    "846620",
    "8466.20",
    " 846620",
    "84662",
    "８４６６２０",  # full-width digits: digits, but not ASCII
    "0",
    "-0",
    "-1",
    "+5",
    "1e3",
    "1_000",
    "NaN",
    "Infinity",
    "12.50",
    " 12 ",
    "2026-06-02",
    "20260602",
    "2026-W23-2",
    " 2026-06-02 ",
    "2026-02-30",
    0,
    1,
    -1,
    2**70,
    1.0,
    float("nan"),
    True,
    False,
    [],
    {},
    ["x"],
    {"x": 1},
]
DELETE = object()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
values = st.sampled_from(TRICKY) | json_values | st.just(DELETE)
KEYS = sorted(
    {f.name for f in fields(Certificate)}
    | {f.name for f in fields(Item)}
    | {"name", "address", "country", "date", "place", "signatory", "officer", "reference"}
    | {"departure_date", "vessel_or_flight", "text", "back_to_back", "third_party_invoicing"}
    | {"issued_retroactively", "approved_exporter", "unknown"}
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree, containers too, and a new key in every object."""
    out = [path] if path else []
    if isinstance(value, dict):
        out.extend((*path, k) for k in KEYS if k not in value)
        for k, v in value.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*path, i)))
    return out


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(draw(st.sampled_from(PAYLOADS)))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        value = draw(values)
        if value is DELETE:
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(value)  # TRICKY's [] and {} are shared
    return data


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads())
def test_the_fast_reader_accepts_and_refuses_exactly_as_read_certificate(data):
    slow = _outcome(read_certificate, data)
    assert _outcome(read_canonical_certificate, data) == slow
    try:
        fast = _canonical(data)
    except (_Unusual, ValueError, ArithmeticError):
        return  # left to read_certificate, as above
    assert slow[0] == "read"  # the lean reader never reads what read_certificate refuses
    assert slow[1][0] == repr(fast)


@pytest.mark.parametrize(
    "data",
    [
        "not a dict",
        b"{}",
        [],
        None,
        {},
        {**SAMPLE, "items": []},
        {**SAMPLE, "items": [SAMPLE["items"][0], SAMPLE["items"][0]]},  # numbered twice
        {**SAMPLE, "items": [{**SAMPLE["items"][0], "number": True}]},
        {**SAMPLE, "items": [{**SAMPLE["items"][0], "number": 0}]},
        {**SAMPLE, "items": [{k: v for k, v in SAMPLE["items"][0].items() if k != "number"}]},
        {**SAMPLE, "items": [{**SAMPLE["items"][0], "quantity": 100}]},
        {**SAMPLE, "items": [{**SAMPLE["items"][0], "invoice": {"date": "2026-05-28"}}]},
        {**SAMPLE, "exporter": {**SAMPLE["exporter"], "country": "kor"}},
        {**SAMPLE, "remarks": {**SAMPLE["remarks"], "exhibition": None}},
        {**SAMPLE, "remarks": {"back_to_back": {"reference": "X", "date": "2026-05-01"}}},
        {**SAMPLE, "declaration": {"place": " ", "date": "2026-06-01", "signatory": "K"}},
        {**SAMPLE, "issue_date": "2026-06-02T10:00"},
    ],
)
def test_edge_cases_read_as_read_certificate_reads_them(data):
    assert _outcome(read_canonical_certificate, data) == _outcome(read_certificate, data)


def _blanked(cert: Certificate, names: list[str], item_names: list[str], blank: Any) -> Any:
    items = tuple(replace(i, **dict.fromkeys(item_names, blank)) for i in cert.items)
    return replace(cert, items=items, **dict.fromkeys(names, blank))


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(CERTIFICATES),
    st.sampled_from(sorted(FORMS)),
    st.sampled_from(["application", "issue"]),
    st.lists(st.sampled_from(["number", "exporter", "declaration", "certification"]), max_size=2),
    st.lists(st.sampled_from([f.name for f in fields(Item)][1:]), max_size=2),
    st.sampled_from([None, ""]),
)
def test_validate_reads_required_fields_at_once_as_one_by_one(
    cert, form, stage, names, of_items, blank
):
    cert = _blanked(cert, names, of_items, blank)
    profile = FORMS[form]
    paths = [
        p
        for req in profile.required
        if not (req.stage == "issue" and stage != "issue")
        for p in req.fields
    ]
    lacking = any(_missing(cert, p) for p in paths)
    assert _lacks_some(cert, _plan(profile, stage)) == lacking
    found = validate(cert, profile, stage)
    assert lacking == any(f.code == "certificate.required" for f in found)


def test_a_form_naming_a_field_the_model_lacks_is_still_read_path_by_path():
    form = FORMS["rcep-co"]
    odd = replace(form, required=(replace(form.required[0], fields=("no_such_field",)),))
    assert _plan(odd, "application") is None
    found = validate(read_certificate(SAMPLE), odd, "application")
    assert [f.field for f in found] == ["no_such_field"]


@given(st.binary(max_size=80))
def test_base64url_encoding_and_decoding_are_the_standard_library_s(data):
    encoded = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    assert b64url_encode(data) == encoded
    assert b64url_decode(encoded) == data


@given(st.text(alphabet="ABCxyz019-_+/=.\n é", max_size=12))
def test_base64url_decoding_is_the_standard_librarys_on_the_alphabet_and_strict_beyond(part):
    def decoded(f):
        try:
            return f(part)
        except (ValueError, binascii.Error):
            return "refused"

    def standard(p):
        return base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))

    plain = set(part) <= set("ABCxyz019-_") and len(part) % 4 != 1
    # a character outside base64url's alphabet (or padding) is refused, never skipped
    assert decoded(b64url_decode) == (decoded(standard) if plain else "refused")


@pytest.fixture(scope="module")
def signer():
    return generate("KR-KCS-E", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], date(2026, 1, 1), PASS)


def test_a_token_opened_with_an_expected_payload_is_the_same_token(signer):
    key, pem = signer
    payload = canonical_bytes(SAMPLE)
    token = sign(payload, key, pem, PASS)
    plain = open_token(token)
    assert open_token(token, payload) == plain
    assert open_token(token, payload + b" ") == plain  # not the payload: decoded as ever
    assert open_token(token, b"") == plain


def test_an_opened_private_key_is_kept_only_for_its_pem_and_passphrase(signer):
    key, pem = signer
    opened = opened_private_key(pem, PASS, key.algorithm)
    assert opened_private_key(pem, PASS, key.algorithm) is opened
    for _ in range(2):  # a refusal is not kept, nor does the kept key answer for it
        with pytest.raises(InvalidInput):
            opened_private_key(pem, PASS + " but wrong", key.algorithm)
    assert signature_valid(sign(b'{"a":1}', key, pem, PASS), key)
    with pytest.raises(InvalidInput):
        sign(b'{"a":1}', key, pem, "another passphrase")


def _signed(signer, data=SAMPLE):
    key, pem = signer
    cert = read_certificate(data)
    return sign_certificate(cert, FORMS[cert.form], key, pem, PASS)


def _verdict(document, trust):
    v = verify(document, ON, trust, FORMS)
    return [(c.name, c.outcome, c.render()) for c in v.checks], v.certificate


def _tampered(document):
    """The signed document, and variants of it changed in the copy, the payload or both."""
    yield document
    yield {**document, "certificate": {**document["certificate"], "number": "X"}}
    yield {**document, "certificate": {**document["certificate"], "extra": 1}}
    items = copy.deepcopy(document["certificate"]["items"])
    items[0]["number"] = True  # 1 and true are not the same JSON
    yield {**document, "certificate": {**document["certificate"], "items": items}}
    head, body, sig = document["jws"].split(".")
    payload = json.loads(b64url_decode(body))
    for change in ({"hs": "8466.20"}, {"hs": "84662"}, {"quantity": 5}, {"origin_country": "kr"}):
        changed = copy.deepcopy(payload)
        changed["items"][0].update(change)
        raw = json.dumps(changed).encode()
        forged = f"{head}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"
        yield {"certificate": changed, "jws": forged}
        yield {"certificate": payload, "jws": forged}
    yield {**document, "jws": f"{head}.{body}x.{sig}"}
    yield {**document, "jws": f"{head}.{body}.{sig[:-2]}"}


def test_a_document_as_text_and_as_parsed_json_gets_the_same_verdict(signer):
    key, _pem = signer
    trust = {key.kid: key}
    for document in _tampered(_signed(signer)):
        as_text = json.dumps(document, ensure_ascii=False)
        assert _verdict(as_text, trust) == _verdict(document, trust)
        assert _verdict(as_text.encode(), trust) == _verdict(document, trust)


def test_a_payload_signed_in_another_json_form_verifies_the_long_way(signer):
    key, pem = signer
    document = _signed(signer)
    # signed bytes that are not orjson's sorted form: keys reversed, spaces, escapes
    certificate = document["certificate"]
    payload = json.dumps(dict(reversed(certificate.items())), indent=1).encode()
    token = sign(payload, key, pem, PASS)
    verdict = verify(
        json.dumps({"certificate": certificate, "jws": token}), ON, {key.kid: key}, FORMS
    )
    assert verdict.valid, [c.render() for c in verdict.checks]
    assert verdict.certificate == read_certificate(SAMPLE)


def test_a_payload_read_certificate_refuses_fails_the_structure_with_its_findings(signer):
    key, pem = signer
    refused = copy.deepcopy(_signed(signer)["certificate"])
    refused["items"][0]["hs"] = "84662"
    refused["items"][1]["quantity"] = 400
    token = sign(canonical_bytes(refused), key, pem, PASS)
    verdict = verify(json.dumps({"certificate": refused, "jws": token}), ON, {key.kid: key}, FORMS)
    structure = verdict.check("structure").render()
    assert "items[0].hs" in structure
    assert "items[1].quantity" in structure
    with pytest.raises(DomainError) as e:
        read_certificate(refused)
    assert e.value.findings[0].render() in structure
    # what read_certificate reads another way (stripped, upper-cased) still verifies
    lenient = copy.deepcopy(refused)
    lenient["items"][0]["hs"] = " 8466.20 "
    lenient["items"][1]["quantity"] = "400"
    lenient["exporter"]["country"] = "kor"
    token = sign(canonical_bytes(lenient), key, pem, PASS)
    verdict = verify(json.dumps({"certificate": lenient, "jws": token}), ON, {key.kid: key}, FORMS)
    assert verdict.valid, [c.render() for c in verdict.checks]
    assert verdict.certificate is not None
    assert verdict.certificate.items[0].hs == "846620"
    assert verdict.certificate.exporter.country == "KR"
    assert verdict.certificate.items[1].quantity == Decimal("400")
