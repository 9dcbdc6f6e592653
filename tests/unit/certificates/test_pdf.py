"""Every shipped form prints, from the fullest certificate to the barest, in English and Korean."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.pdf import render_pdf
from opencustoms.i18n import _, set_locale

FORMS = shipped_forms()
SAMPLE = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)
BARE = {
    "form": "rcep-co",
    "exporter": {"name": "A", "address": "B", "country": "KR"},
    "importer": {"name": "C", "address": "D", "country": "VN"},
    "export_country": "KR",
    "import_country": "VN",
    "items": [{"description": "goods"}],
}
QR = "http://127.0.0.1:8000/verify/KR-KCS/KR-KCS-2026-000001#" + "x" * 300


@pytest.mark.parametrize("form_id", sorted(FORMS))
@pytest.mark.parametrize("data", [SAMPLE, BARE], ids=["full", "bare"])
def test_every_form_prints(form_id, data):
    cert = read_certificate({**data, "form": form_id})
    pdf = render_pdf(cert, FORMS[form_id], QR, datetime(2026, 6, 2, tzinfo=UTC), "issued", _)
    assert pdf.startswith(b"%PDF")


def test_many_items_flow_onto_further_pages():
    many = {**SAMPLE, "items": [{**SAMPLE["items"][0], "number": n} for n in range(1, 61)]}
    pdf = render_pdf(
        read_certificate(many), FORMS["rcep-co"], QR, datetime(2026, 6, 2, tzinfo=UTC), "issued", _
    )
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 2
    )


def test_labels_print_in_korean():
    import pypdfium2

    set_locale("ko")
    try:
        pdf = render_pdf(
            read_certificate(SAMPLE),
            FORMS["rcep-co"],
            QR,
            datetime(2026, 6, 2, tzinfo=UTC),
            "발급됨",
            _,
        )
    finally:
        set_locale("en")
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(document[0].get_textpage().get_text_range().split())
    document.close()
    assert "원산지결정기준" in text  # box 10, in Korean


def test_text_the_font_cannot_show_is_refused_not_left_blank():
    from opencustoms.kernel.errors import DomainError

    thai = {**SAMPLE, "importer": {**SAMPLE["importer"], "name": "บริษัท สยาม จำกัด"}}
    with pytest.raises(DomainError, match="cannot be printed yet"):
        render_pdf(
            read_certificate(thai), FORMS["rcep-co"], QR, datetime(2026, 6, 2, tzinfo=UTC), "x", _
        )


def test_boxes_longer_than_the_form_holds_are_refused_at_application():
    from opencustoms.certificates.validation import validate

    long = {**SAMPLE, "items": [{**SAMPLE["items"][0], "description": "x" * 3000, "number": 1000}]}
    found = {f.field for f in validate(read_certificate(long), FORMS["rcep-co"], "application")}
    assert {"items[0].description", "items[0].number"} <= found
