"""The preference check: a claim matched against the certificate received, granted or
denied with every reason; self-certified and paper proofs sent to review."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from opencustoms.certificates.model import Certificate, Item, Party
from opencustoms.certificates.signed import Check, Outcome, Verdict
from opencustoms.clearance.data import shipped_rate_types
from opencustoms.clearance.declaration_io import read_declaration
from opencustoms.clearance.preference import (
    Claim,
    check,
    paper,
    same_party,
    self_certified,
)
from opencustoms.clearance.preference import (
    Outcome as Decided,
)
from opencustoms.kernel.correspondence import CorrespondenceTable
from opencustoms.kernel.hs import HsCode
from tests.samples import CLEARANCE_ITEM

FCN1 = shipped_rate_types().require("FCN1")
CERTIFICATE = Certificate(
    form="kcfta-co",
    number="K2021-123456",
    issuing_authority="CN-CCPIT",
    exporter=Party("Ningbo Plastics Co.", "Ningbo", "CN"),
    importer=Party("Seoul Trading Co., Ltd.", "Seoul", "KR"),
    export_country="CN",
    import_country="KR",
    items=(
        Item(1, "plastic fittings", "392690", "WO", "CN", quantity=Decimal(12), unit="KGM"),
        Item(2, "tool boxes", "420292", "CTH", "CN", quantity=Decimal(40), unit="PCE"),
    ),
    issue_date=date(2021, 1, 20),
)
OK = (Check("signature", Outcome.OK, "signed"), Check("status", Outcome.OK, "issued"))


def _declaration(**item):
    data = {
        "reference": "43210-21-000001",
        "date": "2021-02-02",
        "office": "30",
        "declarant": "QLRUBN9",
        "importer": "QLRUBN9",
        "items": [
            CLEARANCE_ITEM
            | {"origin": "CN", "proof": {"kind": "certificate", "reference": "K2021-123456"}}
            | item
        ],
    }
    return read_declaration(data)


SEOUL = Claim("Seoul Trading Co Ltd", {})


def _check(d, verdict=None, claim=SEOUL, agreement="kcfta", corr=None):
    v = verdict if verdict is not None else Verdict(OK, CERTIFICATE, d.date)
    return check(d, d.items[0], FCN1, v, agreement, "KR", claim, corr)


def test_a_claim_matching_the_certificate_received_is_granted():
    decision = _check(_declaration())
    assert (decision.outcome, decision.certificate_item, decision.quantity) == (
        Decided.GRANTED,
        1,
        Decimal("12.5"),
    )  # fmt: skip  (12.5 kg within 5 % of the 12 kg certified)


def test_a_claim_is_denied_with_every_reason():
    d = _declaration(origin="VN", hs_code="3926.10.0000", net_mass="500")
    verdict = Verdict(
        (Check("status", Outcome.FAILED, "revoked on %(on)s", {"on": "2021-01-25"}),),
        replace(CERTIFICATE, import_country="JP", importer=Party("Busan Imports", "Busan", "KR")),
        d.date,
    )
    decision = _check(d, verdict, agreement="rcep")
    assert decision.outcome is Decided.DENIED
    assert [r.code for r in decision.reasons] == [
        "preference.not_verified",
        "preference.other_agreement",
        "preference.other_exporting_country",
        "preference.other_importing_country",
        "preference.other_importer",
        "preference.hs_differs",
    ]
    assert (
        decision.reasons[0].render()
        == "The certificate does not verify (status): revoked on 2021-01-25"
    )


def test_origin_quantity_and_what_earlier_declarations_took_are_checked():
    assert _check(_declaration(origin="VN", departure="CN")).reasons[0].code == (
        "preference.origin_differs"
    )
    too_much = _check(_declaration(net_mass="13"))
    assert [r.code for r in too_much.reasons] == ["preference.quantity_exceeds"]
    used = _check(_declaration(net_mass="6"), claim=Claim(None, {1: Decimal(7)}))
    assert [r.code for r in used.reasons] == ["preference.used_up"]
    # pieces are compared with a quantity in units
    boxes = _declaration(hs_code="4202921090", net_mass="30", quantity="40", quantity_unit="u")
    assert (_check(boxes).certificate_item, _check(boxes).quantity) == (2, Decimal(40))


def test_codes_of_other_editions_match_only_through_a_correspondence():
    later = replace(CERTIFICATE, issue_date=date(2022, 3, 1))
    d = _declaration()
    denied = _check(d, Verdict(OK, later, d.date))
    assert [r.code for r in denied.reasons] == ["preference.hs_editions"]
    table = CorrespondenceTable([(HsCode("392690", "HS2022"), HsCode("392690", "HS2017"))])
    assert _check(d, Verdict(OK, later, d.date), corr=table).granted


def test_a_certificate_not_received_denies_and_other_proofs_go_to_review():
    d = _declaration()
    missing = check(d, d.items[0], FCN1, None, None, "KR", Claim(None, {}), None)
    assert [r.code for r in missing.reasons] == ["preference.not_received"]
    assert self_certified(d.items[0], FCN1).outcome is Decided.REVIEW
    assert paper(d.items[0], FCN1, "CN").reasons[0].code == "preference.no_link"


@pytest.mark.parametrize(
    ("certified", "declared", "same"),
    [
        ("Seoul Trading Co., Ltd.", "SEOUL TRADING CO LTD", True),
        ("Seoul Trading Co., Ltd.", "Seoul Trading", True),
        ("（株）ソウル", "(株)ソウル", True),
        ("Seoul Trading", "Busan Trading", False),
    ],
)
def test_names_compare_without_case_spacing_or_punctuation(certified, declared, same):
    assert same_party(certified, declared) is same
