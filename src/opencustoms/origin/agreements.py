"""The agreements opencustoms knows, and the product-specific rules for a code.

UK schemes come from the copy shipped in the package, or from a newer folder
the operator imported (`opencustoms origin import-uk DIR`), which then wins.
Each agreement is compiled the first time it is asked for, and kept.
Agreements with a profile but no rule data answer "no rule data", never a
guessed rule.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from opencustoms.kernel.correspondence import CorrespondenceTable, parse_correspondence
from opencustoms.kernel.errors import N_, DomainError, NotFound
from opencustoms.kernel.hs import EditionMismatch, HsCode, HsEdition
from opencustoms.origin.bom import Bom
from opencustoms.origin.bom_io import read_bom
from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.determination import Determination, Verdict
from opencustoms.origin.determination import determine as run_determination
from opencustoms.origin.editions import in_edition
from opencustoms.origin.profile import Profile
from opencustoms.origin.profiles.loader import shipped_profiles
from opencustoms.origin.rcep import RCEP, rcep_edition, rcep_rule_sets
from opencustoms.origin.report import CompileReport
from opencustoms.origin.uk import (
    SchemeInfo,
    UkScheme,
    compile_scheme,
    data_edition,
    read_scheme_index,
    read_schemes,
    shipped_folder,
)
from opencustoms.reference.hs import hs2022


@dataclass(frozen=True, slots=True)
class Agreement:
    id: str
    title: str
    has_rules: bool
    profile: Profile | None
    partners: tuple[str, ...] = ()  # ISO alpha-2, when no profile names the parties
    rules_edition: HsEdition | None = None  # the edition its rule data is keyed by
    ended: date | None = None  # its last day in force, where the data says it has ended


@dataclass(frozen=True, slots=True)
class RuleLookup:
    agreement: Agreement
    code: HsCode
    candidates: tuple[CompiledRuleSet, ...]  # several for "ex" entries


class AgreementCatalogue:
    def __init__(
        self, imported_uk: Path | None = None, correspondence_file: Path | None = None
    ) -> None:
        self._imported_uk = imported_uk
        self._correspondence_file = correspondence_file
        self._correspondence: tuple[CorrespondenceTable | None] | None = None
        self._lock = threading.Lock()
        self._schemes: dict[str, UkScheme] | None = None
        self._index: dict[str, SchemeInfo] = {}
        self._editions: dict[str, HsEdition | None] = {}
        self._compiled: dict[str, list[CompiledRuleSet]] = {}
        self._profiles = shipped_profiles()

    @property
    def uk_folder(self) -> Path:
        if self._imported_uk is not None and (self._imported_uk / "rule_sets").is_dir():
            return self._imported_uk
        return shipped_folder()

    @property
    def correspondence(self) -> CorrespondenceTable | None:
        """The HS correspondence table the operator imported, if any (read once, kept)."""
        with self._lock:
            if self._correspondence is None:
                path = self._correspondence_file
                table = None
                if path is not None and path.is_file():
                    table = parse_correspondence(path.read_text(encoding="utf-8"), path.name)
                self._correspondence = (table,)
            return self._correspondence[0]

    def _uk(self) -> dict[str, UkScheme]:
        with self._lock:
            if self._schemes is None:
                self._schemes = {s.agreement: s for s in read_schemes(self.uk_folder)}
                self._index = read_scheme_index(self.uk_folder)
            return self._schemes

    def agreements(self) -> list[Agreement]:
        schemes = self._uk()
        ids = sorted(set(schemes) | set(self._profiles))
        return [self.agreement(i) for i in ids]

    def _has_rules(self, agreement_id: str) -> bool:
        return agreement_id in self._uk() or agreement_id == RCEP

    def edition(self, agreement_id: str) -> HsEdition | None:
        """The HS edition the agreement's rule data is keyed by (None: not known)."""
        if agreement_id == RCEP:
            return rcep_edition()
        schemes = self._uk()
        if agreement_id not in schemes:
            return None
        with self._lock:
            if agreement_id not in self._editions:
                profile = self._profiles.get(agreement_id)
                known = {e.code.digits for e in hs2022().entries()}
                stated = profile.psr_hs_edition if profile else None
                self._editions[agreement_id] = data_edition(schemes[agreement_id], known, stated)
            return self._editions[agreement_id]

    def agreement(self, agreement_id: str) -> Agreement:
        schemes = self._uk()
        profile = self._profiles.get(agreement_id)
        if agreement_id not in schemes and profile is None:
            raise NotFound.of(
                "origin.unknown_agreement",
                N_("No agreement has the id '%(id)s'; 'opencustoms origin agreements' lists them."),
                field="agreement",
                id=agreement_id[:64],
            )
        info = self._index.get(agreement_id)
        title = profile.title if profile else (info.title if info else agreement_id)
        partners = info.countries if info else ()
        has_rules = self._has_rules(agreement_id)
        edition = self.edition(agreement_id) if has_rules else None
        ended = date.fromisoformat(info.valid_to[:10]) if info and info.valid_to else None
        return Agreement(agreement_id, title, has_rules, profile, partners, edition, ended)

    def rule_sets(self, agreement_id: str) -> list[CompiledRuleSet]:
        agreement = self.agreement(agreement_id)
        if not agreement.has_rules:
            return []
        if agreement_id == RCEP:
            return list(rcep_rule_sets())
        with self._lock:
            compiled = self._compiled.get(agreement_id)
        if compiled is None:
            compiled = compile_scheme(self._uk()[agreement_id], self.edition(agreement_id))
            with self._lock:
                self._compiled[agreement_id] = compiled
        return compiled

    def rules_for(
        self, agreement_id: str, code: str | HsCode, edition: HsEdition | None = None
    ) -> RuleLookup:
        """Every rule set that covers the code: one, or several for "ex" entries.

        A code is read in `edition` (default: the current HS); rule data keyed by
        another edition is not compared with it, and the caller is told so.
        """
        agreement = self.agreement(agreement_id)
        hs = HsCode(code, edition) if not isinstance(code, HsCode) else code
        if not agreement.has_rules:
            raise NotFound.of(
                "origin.no_rule_data",
                N_("opencustoms has no rule data of %(agreement)s for %(code)s."),
                agreement=agreement_id,
                code=hs.dotted(),
            )
        keyed_by = self.edition(agreement_id)
        if keyed_by is None:
            raise NotFound.of(
                "origin.edition_unknown",
                N_(
                    "The HS edition of %(agreement)s's rule data is not known, so no code "
                    "can be matched to it safely."
                ),
                agreement=agreement_id,
            )
        if hs.edition != keyed_by:
            raise EditionMismatch.of(
                "origin.edition_mismatch",
                N_(
                    "The rules of %(agreement)s are keyed by %(rules)s codes, and %(code)s is "
                    "read as %(edition)s: give an %(rules)s code, with its edition %(rules)s."
                ),
                agreement=agreement_id,
                rules=keyed_by.value,
                code=hs.dotted(),
                edition=hs.edition.value,
            )
        low, high = hs.digits.ljust(10, "0"), hs.digits.ljust(10, "9")
        found = tuple(
            rs
            for rs in self.rule_sets(agreement_id)
            if rs.first_code <= high and rs.last_code >= low
        )
        if not found:
            # the data may have gaps (RCEP's rows are an excerpt; UK files miss some
            # chapters): that no rule was found says nothing of the law
            raise NotFound.of(
                "origin.no_rule_data",
                N_("opencustoms has no rule data of %(agreement)s for %(code)s."),
                agreement=agreement_id,
                code=hs.dotted(),
            )
        return RuleLookup(agreement, hs, found)


def determine(
    catalogue: AgreementCatalogue, agreement_id: str, bom: Bom, on: date
) -> Determination:
    """The verdict for a BOM under an agreement; sub-assemblies are determined the same way.

    Codes of another edition than the annex's are first translated (see `editions.py`).
    """
    edition = catalogue.edition(agreement_id)
    if edition is not None:
        bom = in_edition(bom, edition, catalogue.correspondence, agreement_id)
    lookup = catalogue.rules_for(agreement_id, bom.product.hs)
    profile = catalogue.agreement(agreement_id).profile

    def sub(sub_bom: Bom) -> Verdict:
        try:
            return determine(catalogue, agreement_id, sub_bom, on).verdict
        except NotFound:
            return Verdict.INSUFFICIENT_DATA

    return run_determination(agreement_id, bom, lookup.candidates, profile, on, sub)


def agreements_between(
    catalogue: AgreementCatalogue, exporter: str, importer: str, on: date
) -> list[Agreement]:
    """Agreements in force whose parties include both countries (with rule data or not)."""
    out = []
    for a in catalogue.agreements():
        parties = {c.alpha2 for c in a.profile.parties} if a.profile else {"GB", *a.partners}
        in_force = (
            a.profile is None
            or a.profile.entry_into_force is None
            or a.profile.entry_into_force <= on
        )
        in_force = in_force and (a.ended is None or on <= a.ended)
        if {exporter, importer} <= parties and exporter != importer and in_force:
            out.append(a)
    return out


def compare(
    catalogue: AgreementCatalogue, data: bytes, name: str, exporter: str, importer: str, on: date
) -> list[tuple[Agreement, Determination | DomainError]]:
    """The same BOM under every agreement in force between the two countries.

    Codes are read in each agreement's own edition (the annex's, as the format says
    by default); an agreement the BOM cannot be read or decided under shows why.
    """
    read_bom(data, name, HsEdition.HS2022)  # a BOM that does not read is refused whole, once
    results: list[tuple[Agreement, Determination | DomainError]] = []
    for agreement in agreements_between(catalogue, exporter, importer, on):
        if not agreement.has_rules:  # in force, but opencustoms holds no rules for it
            results.append(
                (
                    agreement,
                    NotFound.of(
                        "origin.no_rule_data",
                        N_("opencustoms has no product-specific rules of %(agreement)s yet."),
                        agreement=agreement.id,
                    ),
                )
            )
            continue
        edition = catalogue.edition(agreement.id)
        try:
            bom = read_bom(data, name, edition or HsEdition.HS2022)
            results.append((agreement, determine(catalogue, agreement.id, bom, on)))
        except DomainError as e:
            results.append((agreement, e))
    return results


def compile_report(catalogue: AgreementCatalogue) -> CompileReport:
    """The compile report of the UK schemes the catalogue serves (compiled once, kept)."""
    report = CompileReport()
    for agreement in catalogue.agreements():
        if agreement.has_rules and agreement.id != RCEP:
            report.add(agreement.id, catalogue.rule_sets(agreement.id))
    return report


def import_uk_folder(source: Path, target: Path, current: Path) -> dict[str, int]:
    """Check a UK-format folder whole (every scheme read and compiled), then install it.

    The schemes it holds replace those of the folder in use (`current`: the
    shipped copy or an earlier import); the others stay. Nothing is written
    unless all of it reads: the merged copy is built in a temporary folder
    beside the target and replaces the previous one in one rename.
    """
    counts = {scheme.agreement: len(compile_scheme(scheme)) for scheme in read_schemes(source)}
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=target.parent))
    try:
        (staging / "rule_sets").mkdir()
        incoming = {p.name.split(".")[0] for p in (source / "rule_sets").glob("*.json*")}
        for old in (current / "rule_sets").glob("*.json*"):
            if old.name.split(".")[0] not in incoming:
                shutil.copy2(old, staging / "rule_sets" / old.name)
        for new in (source / "rule_sets").glob("*.json*"):
            shutil.copy2(new, staging / "rule_sets" / new.name)
        for extra in ("roo_schemes_uk.json", "roo_schemes_uk.json.gz", "LICENCE.txt"):
            chosen = source / extra if (source / extra).is_file() else current / extra
            if chosen.is_file():
                shutil.copy2(chosen, staging / extra)
        old = target.with_name(target.name + ".previous")
        if target.exists():
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
        staging.rename(target)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts
