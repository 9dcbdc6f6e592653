"""Items filled from kept origin determinations: what the evidence decided, as the form prints it.

An application's item may name a kept determination (`"determination": "det_..."`)
instead of repeating what it decided: the description (if the item gives none),
the six-digit HS code and the origin criterion come from it, and the
certificate keeps the link to its evidence. Only an originating product, under
the form's agreement, gets a certificate; an item that states an HS code or a
criterion other than the determination's is refused rather than silently changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.origin.records import StoredDetermination


def form_criterion(criterion: str, form: FormProfile) -> str:
    """Our criterion ("CTH", "CTH+RVC") in the form's codes, part by part."""
    codes: list[str] = []
    for part in criterion.split("+"):
        code = form.criterion_codes.get(part, part)
        if code not in codes:
            codes.append(code)
    return "+".join(codes)


def fill_items(
    data: dict[str, Any],
    find: Callable[[str], StoredDetermination | None],
    form: FormProfile,
    successor: Callable[[str], StoredDetermination | None] = lambda _id: None,
) -> tuple[dict[str, Any], dict[int, str]]:
    """The application with items filled from their determinations, and item number -> id."""
    items = data.get("items")
    if not isinstance(items, list):
        return data, {}
    found: list[Finding] = []
    links: dict[int, str] = {}
    filled_items: list[Any] = []
    for index, rec in enumerate(items):
        if not isinstance(rec, dict) or "determination" not in rec:
            filled_items.append(rec)
            continue
        where = f"items[{index}]"
        ref = rec["determination"]
        det = find(ref) if isinstance(ref, str) else None
        problem = _problem(det, ref, form, successor(det.id) if det else None)
        if problem is not None:
            found.append(_finding(where + ".determination", *problem))
            continue
        assert det is not None
        filled = {k: v for k, v in rec.items() if k != "determination"}
        hs = "".join(ch for ch in det.product_hs if ch.isdigit())[:6]
        code = form_criterion(det.criterion or "", form)
        given_hs = str(rec.get("hs", hs)).replace(".", "").replace(" ", "")
        if given_hs != hs:
            found.append(
                _finding(
                    where + ".hs",
                    N_(
                        "the determination %(id)s decided HS %(hs)s; leave the code out or give that one"
                    ),
                    id=det.id,
                    hs=hs,
                )
            )
        if rec.get("criterion", code) != code:
            found.append(
                _finding(
                    where + ".criterion",
                    N_(
                        "the determination %(id)s decided the criterion %(code)s; leave it out or give that one"
                    ),
                    id=det.id,
                    code=code,
                )
            )
        filled.setdefault("description", det.product_description)
        filled["hs"] = hs
        filled["criterion"] = code
        number = rec.get("number", index + 1)
        if isinstance(number, int):
            links[number] = det.id
        filled_items.append(filled)
    if found:
        raise InvalidInput(*found)
    return {**data, "items": filled_items}, links


def _problem(
    det: StoredDetermination | None,
    ref: Any,
    form: FormProfile,
    later: StoredDetermination | None,
) -> tuple[str, dict[str, Any]] | None:
    if det is None:
        return N_("no kept determination of yours has the id %(id)s"), {"id": str(ref)[:60]}
    if later is not None:
        # a re-run replaced it (a rule or a supplier's declaration changed): the later counts
        return (
            N_("the determination %(id)s was re-run since, as %(later)s: name that one"),
            {"id": det.id, "later": later.id},
        )
    if det.verdict != "originating" or not det.criterion:
        return (
            N_(
                "the determination %(id)s found the product %(verdict)s: only an originating product gets a certificate"
            ),
            {"id": det.id, "verdict": det.verdict},
        )
    if det.agreement != form.agreement:
        return (
            N_(
                "the determination %(id)s is under %(agreement)s, but %(form)s is a form of %(expected)s"
            ),
            {
                "id": det.id,
                "agreement": det.agreement,
                "form": form.title,
                "expected": form.agreement,
            },
        )
    return None


def _finding(
    where: str, message: str, params: dict[str, Any] | None = None, **more: Any
) -> Finding:
    values = {**(params or {}), **more}
    return Finding(
        "certificate.from_determination",
        N_("%(where)s: %(detail)s"),
        {"where": where, "detail": Finding("certificate.detail", message, values)},
        field=where,
    )
