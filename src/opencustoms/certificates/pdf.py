"""A certificate printed as its form: numbered boxes, names in any script, and the QR code.

The font is Noto Sans CJK (SIL Open Font License, from the `noto-cjk-sans-otc`
package), Korean variant, so Hangul, Chinese characters and kana print as
written; fpdf2 embeds only the glyphs used. The QR code is drawn as vector
squares (no image), so it stays sharp at any printer resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import noto_cjk_sans_otc
import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.errors import FPDFException
from fpdf.fonts import TTFFont

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.io import certificate_json
from opencustoms.certificates.layouts import Box, layout_of
from opencustoms.certificates.model import Certificate
from opencustoms.kernel.errors import N_, DomainError, Finding

_FONT = "NotoSansCJK"
_KOREAN = 1  # the collection's Korean member: Hangul forms by default
_MARGIN = 12.0
_PAGE_WIDTH = 210.0  # A4, in millimetres
_QR_SIZE = 38.0


def render_pdf(
    cert: Certificate,
    form: FormProfile,
    qr: str | None,
    printed_at: datetime,
    status: str,
    translate: Callable[[str], str],
) -> bytes:
    """The certificate as a PDF; `qr` is the QR code's text (None before issue)."""
    try:
        return _render(cert, form, qr, printed_at, status, translate)
    except (ValueError, FPDFException):  # a box longer than a page, past validation's limits
        raise DomainError(
            Finding(
                "certificate.does_not_fit",
                N_(
                    "A box of this certificate holds more than fits on a page; it cannot be printed."
                ),
            )
        ) from None


def _render(
    cert: Certificate,
    form: FormProfile,
    qr: str | None,
    printed_at: datetime,
    status: str,
    translate: Callable[[str], str],
) -> bytes:
    tr = translate
    layout = layout_of(form.id)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{cert.number or ''} {tr(layout.title)}".strip())
    pdf.set_creator("opencustoms")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=_MARGIN + 6)
    pdf.add_font(_FONT, fname=str(noto_cjk_sans_otc.FONT_PATH), collection_font_number=_KOREAN)
    pdf.set_font(_FONT, size=9)
    font = pdf.current_font
    assert isinstance(font, TTFFont)  # the font just added
    _all_printable(cert, font.cmap)
    pdf.add_page()
    width = _PAGE_WIDTH - 2 * _MARGIN

    # head: the form's title, the number, where it was issued
    pdf.set_font(_FONT, size=11)
    pdf.multi_cell(width, 5.5, tr(layout.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=9)
    head = tr(N_("Certificate No. %(number)s   Issued in %(country)s   %(authority)s")) % {
        "number": cert.number or tr(N_("(not yet issued)")),
        "country": cert.export_country,
        "authority": cert.issuing_authority or "",
    }
    pdf.multi_cell(width, 5, head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)

    # parties and transport: two boxes to a row
    half = width / 2
    boxes = list(layout.parties)
    for left, right in zip(boxes[0::2], boxes[1::2] + [None] * (len(boxes) % 2), strict=True):
        top = pdf.get_y()
        bottom = _box(pdf, left, cert, tr, _MARGIN, top, half)
        if right is not None:
            bottom = max(bottom, _box(pdf, right, cert, tr, _MARGIN + half, top, half))
        pdf.rect(_MARGIN, top, half, bottom - top)
        if right is not None:
            pdf.rect(_MARGIN + half, top, half, bottom - top)
        pdf.set_xy(_MARGIN, bottom)

    # the items
    pdf.set_font(_FONT, size=7)
    widths = tuple(col.width * width for col in layout.columns)
    # the font has one weight: the heading row is an ordinary row (fpdf2 would want bold)
    with pdf.table(
        col_widths=widths,
        line_height=3.6,
        text_align="LEFT",
        first_row_as_headings=False,
        num_heading_rows=0,
    ) as table:
        header = table.row()
        for col in layout.columns:
            header.cell(f"{col.number}. {tr(col.label)}" if col.number else tr(col.label))
        for item in cert.items:
            row = table.row()
            for col in layout.columns:
                row.cell(col.fill(cert, item))
    pdf.ln(2)

    # remarks, declaration, certification: one row of three
    third = width / 3
    top = pdf.get_y()
    if top > 297 - _MARGIN - 60:
        pdf.add_page()
        top = pdf.get_y()
    bottom = top
    for index, box in enumerate(layout.footer):
        bottom = max(bottom, _box(pdf, box, cert, tr, _MARGIN + index * third, top, third))
    for index in range(len(layout.footer)):
        pdf.rect(_MARGIN + index * third, top, third, bottom - top)
    pdf.set_xy(_MARGIN, bottom + 2)

    # ticked remarks, as the RCEP form's box 17 and Form AK's box 13 print them
    pdf.set_font(_FONT, size=8)
    ticks = (
        (N_("Back-to-back certificate of origin"), cert.remarks.back_to_back is not None),
        (N_("Third-party invoicing"), cert.remarks.third_party_invoicing),
        (N_("ISSUED RETROACTIVELY"), cert.remarks.issued_retroactively),
        (N_("CERTIFIED TRUE COPY"), cert.remarks.certified_true_copy),
        (N_("Exhibition"), cert.remarks.exhibition),
    )
    marks = "   ".join(f"[{'X' if on else ' '}] {tr(label)}" for label, on in ticks)
    pdf.multi_cell(width - _QR_SIZE - 4, 4.5, marks, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # the QR code, bottom right, with what it is for
    y = max(pdf.get_y() + 2, 297 - _MARGIN - _QR_SIZE - 8)
    if y + _QR_SIZE > 297 - _MARGIN:
        pdf.add_page()
        y = pdf.get_y()
    note = tr(N_("Printed %(when)s. Status when printed: %(status)s.")) % {
        "when": printed_at.strftime("%Y-%m-%d %H:%M %Z"),
        "status": status,
    }
    if qr is not None:
        _qr(pdf, qr, _PAGE_WIDTH - _MARGIN - _QR_SIZE, y, _QR_SIZE)
        note += " " + tr(
            N_(
                "Scan the code, or enter the number at the verification page, to check it is valid now."
            )
        )
    pdf.set_xy(_MARGIN, y)
    pdf.set_font(_FONT, size=7)
    pdf.multi_cell(width - _QR_SIZE - 4, 3.6, note)
    return bytes(pdf.output())


def _all_printable(cert: Certificate, cmap: Any) -> None:
    """Refuse to print what the font would leave out: a name that prints blank is worse
    than no print. (Thai, Khmer, Lao, Myanmar and other scripts need fonts not yet shipped.)"""
    missing: list[str] = []
    stack: list[Any] = [certificate_json(cert)]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            missing += [c for c in value if not c.isspace() and ord(c) not in cmap]
    if missing:
        shown = "".join(dict.fromkeys(missing))[:10]
        raise DomainError(
            Finding(
                "certificate.unprintable",
                N_(
                    "The printing font has no letters for '%(chars)s' (U+%(code)04X): this certificate cannot be printed yet; its electronic form is valid as it is."
                ),
                {"chars": shown, "code": ord(shown[0])},
            )
        )


def _box(
    pdf: FPDF,
    box: Box,
    cert: Certificate,
    tr: Callable[[str], str],
    x: float,
    y: float,
    w: float,
) -> float:
    """Write a box's label and content inside it; return where it ends."""
    pdf.set_xy(x + 1, y + 1)
    pdf.set_font(_FONT, size=6.5)
    label = f"{box.number}. {tr(box.label)}" if box.number else tr(box.label)
    pdf.multi_cell(w - 2, 3, label, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=8.5)
    pdf.multi_cell(w - 2, 4, box.fill(cert, tr) or " ", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return max(pdf.get_y() + 1, y + 18)


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    code = segno.make(text, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=0))
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * module, y + r * module, module, module, style="F")
