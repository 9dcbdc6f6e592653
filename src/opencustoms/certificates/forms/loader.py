"""Form profiles: what each certificate form requires, as cited data (`forms/*.yaml`).

Each requirement names the fields it makes required, the stage from which
(application, or issue: the number and the certification are given by the
issuing body), and the text it comes from; what the sources do not give (a
code list, a maximum of items) is left out and not checked. A maximum of items
is written `max_items: {count: 20, cite: ...}` (a bare number is still read).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib import resources

import yaml

from opencustoms.certificates.model import Certificate, Item
from opencustoms.origin.profile import Citation
from opencustoms.reference.yamlstrict import Node, compose_text

STAGES = ("application", "issue")
# what a requirement may name: a certificate's fields, and "items.<field>" for every item
FIELD_PATHS = frozenset(
    [f.name for f in fields(Certificate)] + [f"items.{f.name}" for f in fields(Item)]
)


@dataclass(frozen=True, slots=True)
class Requirement:
    stage: str
    fields: tuple[str, ...]  # "exporter", "items.hs", ...
    cite: Citation


@dataclass(frozen=True, slots=True)
class Period:
    months: int
    cite: Citation


@dataclass(frozen=True, slots=True)
class FormProfile:
    id: str
    title: str
    agreement: str
    source: str
    issued_by: str
    required: tuple[Requirement, ...]
    criteria: tuple[str, ...] | None  # the codes the form takes; None: not known, not checked
    criteria_cite: Citation | None
    max_items: int | None
    fob_required_for: tuple[str, ...]  # criteria whose items must give the FOB value
    fob_cite: Citation | None
    validity: Period | None
    retroactive: Period | None  # how long after shipment a certificate may still be issued
    notes: tuple[str, ...] = ()
    max_items_cite: Citation | None = None
    # our criterion (as an origin determination names it) -> the code the form prints
    criterion_codes: dict[str, str] = field(default_factory=dict)
    criterion_codes_cite: Citation | None = None


def _cite(node: Node) -> Citation:
    f = node.mapping({"file", "section", "quote"}, set())
    return Citation(f["file"].text(), f["section"].text(), " ".join(f["quote"].text().split()))


def read_form(text: str, source: str) -> FormProfile:
    f = compose_text(text, source).mapping(
        {"id", "title", "agreement", "source", "issued_by", "required"},
        {
            "criteria",
            "criterion_codes",
            "max_items",
            "fob_required_for",
            "validity",
            "retroactive",
            "notes",
        },
    )
    required = []
    for item in f["required"].sequence():
        r = item.mapping({"stage", "fields", "cite"}, set())
        stage = r["stage"].text()
        if stage not in STAGES:
            raise r["stage"].error(
                "'%(value)s' is not a stage; use application or issue", value=stage
            )
        paths = []
        for x in r["fields"].sequence():
            if x.text() not in FIELD_PATHS:
                raise x.error(
                    "'%(value)s' is not a field of a certificate; use %(allowed)s",
                    value=x.text(),
                    allowed=", ".join(sorted(FIELD_PATHS)),
                )
            paths.append(x.text())
        required.append(Requirement(stage, tuple(paths), _cite(r["cite"])))
    criteria = criteria_cite = None
    if "criteria" in f and not f["criteria"].is_null():
        c = f["criteria"].mapping({"codes", "cite"}, set())
        criteria = tuple(x.text() for x in c["codes"].sequence())
        criteria_cite = _cite(c["cite"])
    fob: tuple[str, ...] = ()
    fob_cite = None
    if "fob_required_for" in f:
        b = f["fob_required_for"].mapping({"criteria", "cite"}, set())
        fob = tuple(x.text() for x in b["criteria"].sequence())
        fob_cite = _cite(b["cite"])
    max_items = max_items_cite = None
    if "max_items" in f:
        if isinstance(f["max_items"].node, yaml.MappingNode):
            m = f["max_items"].mapping({"count", "cite"}, set())
            max_items, max_items_cite = m["count"].integer(), _cite(m["cite"])
        else:
            max_items = f["max_items"].integer()
    codes: dict[str, str] = {}
    codes_cite = None
    if "criterion_codes" in f:
        m = f["criterion_codes"].mapping({"from_determination", "cite"}, set())
        ours = {"WO", "PE", "RVC", "MaxNOM", "PSR", "CC", "CTH", "CTSH"}  # engine.criterion's
        codes = {k: v.text() for k, v in m["from_determination"].mapping(set(), ours).items()}
        codes_cite = _cite(m["cite"])
    validity = retroactive = None
    if "validity" in f:
        v = f["validity"].mapping({"months", "cite"}, set())
        validity = Period(v["months"].integer(), _cite(v["cite"]))
    if "retroactive" in f:
        v = f["retroactive"].mapping({"months_after_shipment", "cite"}, set())
        retroactive = Period(v["months_after_shipment"].integer(), _cite(v["cite"]))
    return FormProfile(
        id=f["id"].text(),
        title=f["title"].text(),
        agreement=f["agreement"].text(),
        source=f["source"].text(),
        issued_by=f["issued_by"].text(),
        required=tuple(required),
        criteria=criteria,
        criteria_cite=criteria_cite,
        max_items=max_items,
        fob_required_for=fob,
        fob_cite=fob_cite,
        validity=validity,
        retroactive=retroactive,
        notes=tuple(n.text() for n in f["notes"].sequence()) if "notes" in f else (),
        max_items_cite=max_items_cite,
        criterion_codes=codes,
        criterion_codes_cite=codes_cite,
    )


def shipped_forms() -> dict[str, FormProfile]:
    folder = resources.files("opencustoms.certificates.forms")
    out: dict[str, FormProfile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            form = read_form(entry.read_text(encoding="utf-8"), f"forms/{entry.name}")
            out[form.id] = form
    return out
