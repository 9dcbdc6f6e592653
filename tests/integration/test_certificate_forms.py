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
    cites += [c for c in (form.fob_cite, form.criteria_cite) if c]
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
