"""A certificate against its form: every finding at once, each with the field and the law.

`stage` is how far the certificate has come: an application lacks what the
issuing body adds at issue (the number, the certification).
"""

from __future__ import annotations

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.model import Certificate
from opencustoms.kernel.dates import add_months
from opencustoms.kernel.errors import N_, Finding


def validate(cert: Certificate, form: FormProfile, stage: str) -> list[Finding]:
    found: list[Finding] = []
    for req in form.required:
        if req.stage == "issue" and stage != "issue":
            continue
        for path in req.fields:
            for where in _missing(cert, path):
                found.append(
                    Finding(
                        "certificate.required",
                        N_("%(field)s: %(form)s requires it (%(section)s)"),
                        {"field": where, "form": form.title, "section": req.cite.section},
                        field=where,
                    )
                )
    if form.max_items is not None and len(cert.items) > form.max_items:
        found.append(
            Finding(
                "certificate.too_many_items",
                N_("items: %(form)s holds at most %(max)s items, not %(count)s"),
                {"form": form.title, "max": form.max_items, "count": len(cert.items)},
                field="items",
            )
        )
    for index, item in enumerate(cert.items):
        where = f"items[{index}]"
        if item.criterion is None:
            continue  # required or not, the form's requirements have said so
        if form.criteria is not None and item.criterion not in form.criteria:
            found.append(
                Finding(
                    "certificate.unknown_criterion",
                    N_("%(field)s.criterion: '%(code)s' is not a code of %(form)s; use %(codes)s"),
                    {
                        "field": where,
                        "code": item.criterion[:16],
                        "form": form.title,
                        "codes": ", ".join(form.criteria),
                    },
                    field=f"{where}.criterion",
                )
            )
        if (
            form.fob_cite is not None
            and _uses(item.criterion, form.fob_required_for)
            and item.fob_value is None
        ):
            found.append(
                Finding(
                    "certificate.fob_required",
                    N_(
                        "%(field)s.fob_value: the criterion %(code)s needs the FOB value (%(section)s)"
                    ),
                    {"field": where, "code": item.criterion, "section": form.fob_cite.section},
                    field=f"{where}.fob_value",
                )
            )
    if any(i.fob_value is not None for i in cert.items) and not cert.currency:
        found.append(
            Finding(
                "certificate.currency_required",
                N_("currency: give the currency of the FOB values"),
                field="currency",
            )
        )
    if stage == "issue":
        found.extend(_retroactive(cert, form))
    return found


def _uses(criterion: str, codes: tuple[str, ...]) -> bool:
    """'RVC' covers 'RVC40' and 'RVC 40%': the form prints the code with its figure; and
    'CTH + RVC 40%': a combination rule uses each of its parts (Form AK, Overleaf Note 3(c))."""
    parts = [part.strip().upper() for part in criterion.split("+")]
    return any(part.startswith(code.upper()) for part in parts for code in codes)


def _retroactive(cert: Certificate, form: FormProfile) -> list[Finding]:
    shipped = cert.transport.departure_date if cert.transport else None
    issued = cert.issue_date
    if shipped is None or issued is None or issued <= shipped:
        return []
    out: list[Finding] = []
    if form.retroactive is None:
        return out
    if not cert.remarks.issued_retroactively:
        out.append(
            Finding(
                "certificate.mark_retroactive",
                N_(
                    "remarks.issued_retroactively: issued after the shipment of %(day)s, it must say ISSUED RETROACTIVELY (%(section)s)"
                ),
                {"day": shipped.isoformat(), "section": form.retroactive.cite.section},
                field="remarks.issued_retroactively",
            )
        )
    if issued > add_months(shipped, form.retroactive.months):
        out.append(
            Finding(
                "certificate.too_late",
                N_(
                    "issue_date: %(form)s may be issued at most %(months)s months after shipment (%(section)s)"
                ),
                {
                    "form": form.title,
                    "months": form.retroactive.months,
                    "section": form.retroactive.cite.section,
                },
                field="issue_date",
            )
        )
    return out


def _missing(cert: Certificate, path: str) -> list[str]:
    head, _dot, rest = path.partition(".")
    if head == "items" and rest:
        return [
            f"items[{i}].{rest}"
            for i, item in enumerate(cert.items)
            if getattr(item, rest) in (None, "")
        ]
    return [path] if getattr(cert, head, None) in (None, "") else []
