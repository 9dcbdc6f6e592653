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
from pathlib import Path

from opencustoms.kernel.errors import N_, NotFound
from opencustoms.kernel.hs import EditionMismatch, HsCode, HsEdition
from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.profile import Profile
from opencustoms.origin.profiles.loader import shipped_profiles
from opencustoms.origin.rcep import RCEP, rcep_edition, rcep_rule_sets
from opencustoms.origin.uk import (
    UK_EDITION,
    SchemeInfo,
    UkScheme,
    compile_scheme,
    read_scheme_index,
    read_schemes,
    shipped_folder,
)


@dataclass(frozen=True, slots=True)
class Agreement:
    id: str
    title: str
    has_rules: bool
    profile: Profile | None
    partners: tuple[str, ...] = ()  # ISO alpha-2, when no profile names the parties


@dataclass(frozen=True, slots=True)
class RuleLookup:
    agreement: Agreement
    code: HsCode
    candidates: tuple[CompiledRuleSet, ...]  # several for "ex" entries


class AgreementCatalogue:
    def __init__(self, imported_uk: Path | None = None) -> None:
        self._imported_uk = imported_uk
        self._lock = threading.Lock()
        self._schemes: dict[str, UkScheme] | None = None
        self._index: dict[str, SchemeInfo] = {}
        self._compiled: dict[str, list[CompiledRuleSet]] = {}
        self._profiles = shipped_profiles()

    @property
    def uk_folder(self) -> Path:
        if self._imported_uk is not None and (self._imported_uk / "rule_sets").is_dir():
            return self._imported_uk
        return shipped_folder()

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

    def edition(self, agreement_id: str) -> HsEdition:
        """The HS edition the agreement's rule data is keyed by."""
        return rcep_edition() if agreement_id == RCEP else UK_EDITION

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
        return Agreement(agreement_id, title, self._has_rules(agreement_id), profile, partners)

    def rule_sets(self, agreement_id: str) -> list[CompiledRuleSet]:
        agreement = self.agreement(agreement_id)
        if not agreement.has_rules:
            return []
        if agreement_id == RCEP:
            return list(rcep_rule_sets())
        with self._lock:
            compiled = self._compiled.get(agreement_id)
        if compiled is None:
            compiled = compile_scheme(self._uk()[agreement_id])
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
        if hs.edition != keyed_by:
            raise EditionMismatch.of(
                "origin.edition_mismatch",
                N_(
                    "The rules of %(agreement)s are keyed by %(rules)s codes, and %(code)s is "
                    "read as %(edition)s: give an %(rules)s code and say so (--edition %(rules)s)."
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
        if not found and agreement_id == RCEP:
            # opencustoms holds only some rows of RCEP's annex: absence says nothing
            raise NotFound.of(
                "origin.no_rule_data",
                N_("opencustoms has no rule data of %(agreement)s for %(code)s."),
                agreement=agreement_id,
                code=hs.dotted(),
            )
        if not found:
            raise NotFound.of(
                "origin.no_rule_for_code",
                N_("%(agreement)s has no product-specific rule for %(code)s."),
                agreement=agreement_id,
                code=hs.dotted(),
            )
        return RuleLookup(agreement, hs, found)


def import_uk_folder(source: Path, target: Path) -> dict[str, int]:
    """Check a UK-format folder whole (every scheme read and compiled), then install it.

    Nothing is written unless all of it reads: the copy goes to a temporary
    folder beside the target and replaces the previous one in one rename.
    """
    counts = {scheme.agreement: len(compile_scheme(scheme)) for scheme in read_schemes(source)}
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=target.parent))
    try:
        shutil.copytree(source / "rule_sets", staging / "rule_sets")
        for extra in ("roo_schemes_uk.json", "roo_schemes_uk.json.gz", "LICENCE.txt"):
            if (source / extra).is_file():
                shutil.copy2(source / extra, staging / extra)
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
