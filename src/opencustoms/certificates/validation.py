"""A certificate against its form: every finding at once, each with the field and the law.

`stage` is how far the certificate has come: an application lacks what the
issuing body adds at issue (the number, the certification).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import lru_cache
from operator import attrgetter
from typing import Any

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.model import Certificate, Item
from opencustoms.kernel.dates import add_months
from opencustoms.kernel.errors import N_, Finding


def validate(cert: Certificate, form: FormProfile, stage: str) -> list[Finding]:
    found: list[Finding] = []
    # A verifier validates every certificate it reads, and most lack nothing: their
    # required fields are read all at once first, and gone through path by path, for
    # the findings in order, only when one of them is empty
    if _lacks_some(cert, _plan(form, stage)):
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
        if item.criterion is None:
            continue  # required or not, the form's requirements have said so
        where = f"items[{index}]"
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
    if stage == "application":
        # what fits the paper is asked of an application; verification judges the law only
        found.extend(_too_long(cert))
    return found


@lru_cache(maxsize=4096)  # a form has a few codes, and the verifier asks for each item
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


# what `_lacks_some` reads: the certificate's required fields, and each item's
_Getter = Callable[[Any], tuple[Any, ...]]
_Plan = tuple[_Getter | None, _Getter | None]
_PLANS: dict[tuple[int, str], tuple[FormProfile, _Plan | None]] = {}
_CERTIFICATE_FIELDS = frozenset(f.name for f in fields(Certificate))
_ITEM_FIELDS = frozenset(f.name for f in fields(Item))


def _plan(form: FormProfile, stage: str) -> _Plan | None:
    """How to read a form's required fields at a stage all at once; None if it names a
    field that is not the model's (then `_missing` says what it makes of it)."""
    cached = _PLANS.get((id(form), stage))
    if cached is not None and cached[0] is form:  # held here, so its id is not reused
        return cached[1]
    heads: list[str] = []
    rests: list[str] = []
    for req in form.required:
        if req.stage == "issue" and stage != "issue":
            continue
        for path in req.fields:
            head, _dot, rest = path.partition(".")
            if head == "items" and rest:
                rests.append(rest)
            else:
                heads.append(head)  # as `_missing` reads it: "exporter.name" is the exporter
    plan = None
    if _CERTIFICATE_FIELDS.issuperset(heads) and _ITEM_FIELDS.issuperset(rests):
        plan = (_getter(heads), _getter(rests))
    if len(_PLANS) > 1_000:  # a bound, for forms built on the fly (tests)
        _PLANS.clear()
    _PLANS[(id(form), stage)] = (form, plan)
    return plan


def _getter(names: list[str]) -> _Getter | None:
    if not names:
        return None
    get = attrgetter(*names)  # one value for one name, a tuple for more
    return get if len(names) > 1 else lambda obj: (get(obj),)


def _lacks_some(cert: Certificate, plan: _Plan | None) -> bool:
    """Whether a required field is empty (None or ""), as `_missing` would find."""
    if plan is None:
        return True
    of_certificate, of_item = plan
    if of_certificate is not None and _empty_among(of_certificate(cert)):
        return True
    return of_item is not None and any(_empty_among(of_item(item)) for item in cert.items)


def _empty_among(values: tuple[Any, ...]) -> bool:
    # `_missing`'s `in (None, "")`, without asking a Decimal whether it equals None or ""
    # (it first asks whether they are numbers, an abstract class, which is slow)
    return any(value is None or (isinstance(value, str) and not value) for value in values)


def _missing(cert: Certificate, path: str) -> list[str]:
    head, _dot, rest = path.partition(".")
    if head == "items" and rest:
        return [
            f"items[{i}].{rest}"
            for i, item in enumerate(cert.items)
            if getattr(item, rest) in (None, "")
        ]
    return [path] if getattr(cert, head, None) in (None, "") else []


# What fits the paper: a form's boxes hold so much, and a certificate must print. The
# limits are generous for real goods and parties, and keep every box on its page.
_LIMITS = {"name": 200, "address": 400, "description": 1000, "marks": 300, "packages": 300}
_OTHER_TEXT = 200
_MAX_ITEM_NUMBER = 999


def _too_long(cert: Certificate) -> list[Finding]:
    texts: list[tuple[str, str | None]] = []
    for role in ("exporter", "importer", "producer"):
        p = getattr(cert, role)
        texts += [(f"{role}.name", getattr(p, "name", None)),
                  (f"{role}.address", getattr(p, "address", None))]  # fmt: skip
    for i, item in enumerate(cert.items):
        w = f"items[{i}]"
        texts += [
            (f"{w}.description", item.description),
            (f"{w}.marks", item.marks),
            (f"{w}.packages", item.packages),
            (f"{w}.unit", item.unit),
            (f"{w}.criterion", item.criterion),
            (f"{w}.invoice.number", getattr(item.invoice, "number", None)),
        ]
    t = cert.transport
    texts += [("transport.vessel_or_flight", getattr(t, "vessel_or_flight", None)),
              ("transport.port_of_discharge", getattr(t, "port_of_discharge", None)),
              ("transport.route", getattr(t, "route", None)),
              ("remarks.text", getattr(cert.remarks, "text", None))]  # fmt: skip
    found = [
        Finding(
            "certificate.too_long",
            N_("%(field)s: at most %(max)s characters fit the form, not %(count)s"),
            {"field": where, "max": limit, "count": len(value)},
            field=where,
        )
        for where, value in texts
        if isinstance(value, str)
        and len(value) > (limit := _LIMITS.get(where.rsplit(".", 1)[-1], _OTHER_TEXT))
    ]
    found += [
        Finding(
            "certificate.item_number",
            N_("%(field)s.number: items are numbered 1 to %(max)s"),
            {"field": f"items[{i}]", "max": _MAX_ITEM_NUMBER},
            field=f"items[{i}].number",
        )
        for i, item in enumerate(cert.items)
        if isinstance(item.number, int) and item.number > _MAX_ITEM_NUMBER
    ]
    return found
