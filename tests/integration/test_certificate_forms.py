"""Every requirement of every shipped certificate form quotes the text it comes from."""

import re

import pytest

from opencustoms.certificates.forms.loader import shipped_forms

FORMS = shipped_forms()


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_`]", "", text).replace("’", "'").split())


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_form_requirements_quote_their_source(shared_data, form_id):
    form = FORMS[form_id]
    cites = [r.cite for r in form.required]
    cites += [c for c in (form.fob_cite, form.criteria_cite, form.max_items_cite) if c]
    cites += [form.criterion_codes_cite] if form.criterion_codes_cite else []
    cites += [p.cite for p in (form.validity, form.retroactive) if p]
    assert cites
    for cite in cites:
        path = shared_data / form.source / cite.file
        assert path.is_file(), f"{form_id}: {cite.file} does not exist"
        assert _plain(cite.quote) in _plain(path.read_text(encoding="utf-8")), (
            f"{form_id}: '{cite.quote[:60]}...' is not in {cite.file}"
        )


def test_the_rcep_form():
    form = FORMS["rcep-co"]
    assert form.validity.months == 12
    assert form.retroactive.months == 12
    assert form.criteria is None  # the overleaf notes' code list is not among the sources
    assert {f for r in form.required for f in r.fields} >= {"exporter", "items.hs", "number"}


def test_the_akfta_form():
    form = FORMS["akfta-ak"]
    assert form.agreement == "akfta"
    assert form.criteria is None  # the overleaf code table breaks off in the excerpt
    assert form.fob_required_for == ("RVC",)
    assert form.validity is None
    assert form.retroactive is None
    assert form.max_items is None
    required = {f for r in form.required for f in r.fields}
    assert required >= {"exporter", "importer", "items.hs", "items.criterion", "declaration"}
    assert {f for r in form.required if r.stage == "issue" for f in r.fields} == {
        "number",
        "certification",
    }


def test_the_kcfta_form():
    form = FORMS["kcfta-co"]
    assert form.agreement == "kcfta"
    assert form.max_items == 20
    assert form.max_items_cite.section == "Certificate of Origin form, Box 6"
    assert form.criteria is None  # the Box 10 code table was not retrieved
    assert form.fob_cite is None  # the form has no FOB box
    assert form.validity is None
    assert form.retroactive is None


def test_the_cptpp_certification():
    form = FORMS["cptpp-coo"]
    assert form.agreement == "uk-cptpp"
    assert form.source == "uk-rules-of-origin"
    assert form.validity.months == 24
    assert all(r.stage == "application" for r in form.required)  # no issuing body
    assert form.criteria is None
    assert form.max_items is None


def test_a_maximum_of_items_is_read_with_its_citation_or_as_a_bare_number():
    from opencustoms.certificates.forms.loader import read_form

    head = "id: x\ntitle: X\nagreement: x\nsource: legal\nissued_by: x\nrequired: []\n"
    cited = read_form(
        head + "max_items: {count: 3, cite: {file: f.txt, section: Box 6, quote: Max 3}}\n", "x"
    )
    assert (cited.max_items, cited.max_items_cite.section) == (3, "Box 6")
    bare = read_form(head + "max_items: 5\n", "x")
    assert (bare.max_items, bare.max_items_cite) == (5, None)


def test_a_combination_rule_with_an_rvc_part_needs_the_fob_value():
    from opencustoms.certificates.io import read_certificate
    from opencustoms.certificates.validation import validate

    cert = read_certificate(
        {
            "form": "akfta-ak",
            "exporter": {"name": "Daewon", "address": "Changwon", "country": "KR"},
            "importer": {"name": "Saigon Mech", "address": "Ho Chi Minh City", "country": "VN"},
            "export_country": "KR",
            "import_country": "VN",
            "items": [
                {"number": 1, "description": "holders", "criterion": "CTH + RVC 40%"},
                {"number": 2, "description": "bolts", "criterion": "CTH"},
                {"number": 3, "description": "laver", "criterion": "WO"},
            ],
        }
    )
    found = [f.field for f in validate(cert, FORMS["akfta-ak"], "application")]
    assert "items[0].fob_value" in found
    assert not {"items[1].fob_value", "items[2].fob_value"} & set(found)


def test_a_form_naming_an_unknown_field_is_refused_with_its_line():
    from pathlib import Path

    from opencustoms.certificates.forms.loader import read_form
    from opencustoms.kernel.errors import InvalidInput

    path = Path(__file__).parents[1] / "fixtures" / "certificates" / "bad-field.yaml"
    with pytest.raises(InvalidInput) as e:
        read_form(path.read_text(), "bad-field.yaml")
    message = e.value.finding.render()
    assert "bad-field.yaml, line 8" in message
    assert "'items.hs_code' is not a field of a certificate" in message
