"""The HS nomenclature of one edition: lookup, hierarchy and search.

Entries are sections (roman numerals), chapters, headings and subheadings.
Search ranks descriptions with BM25 (Robertson & Zaragoza, 2009) over words,
plus "search references": common trade names (laptop, notebook computer)
attached to codes, as customs tariffs publish beside the legal text.

Negated words in the legal text ("not roasted", "other than lead-acid") do not
describe the goods, so they are not indexed: "roasted coffee" ranks 0901.21
("Coffee; roasted, not decaffeinated") before 0901.22.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from opencustoms.kernel.errors import N_, InvalidInput, NotFound
from opencustoms.kernel.hs import HsCode, HsEdition, HsLevel, normalise_digits

MAX_QUERY_LENGTH = 200

# The names of the levels, marked for the catalogues: the edges translate them.
LEVEL_NAMES = (N_("section"), N_("chapter"), N_("heading"), N_("subheading"), N_("national"))
MAX_LIMIT = 100

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NEGATION_STARTS = {"not", "other", "excluding", "except", "without", "non"}
_NEGATION_ENDS = {";", ",", "(", ")", ":"}
_STOPWORDS = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "in",
    "into",
    "is",
    "it",
    "its",
    "of",
    "on",
    "or",
    "such",
    "than",
    "that",
    "the",
    "their",
    "thereof",
    "to",
    "whether",
    "with",
    "n",
    "e",
    "c",
    "nec",
    "item",
    "no",
    "heading",
    "subheading",
    "kind",
    "used",
}


@dataclass(frozen=True, slots=True)
class Section:
    number: str  # roman numeral, as the nomenclature prints it: "XVI"
    title: str


@dataclass(frozen=True, slots=True)
class Entry:
    code: HsCode
    description: str
    section: str
    search_terms: tuple[str, ...] = ()

    @property
    def level(self) -> HsLevel:
        return self.code.level


@dataclass(frozen=True, slots=True)
class PathStep:
    level: str  # "section", "chapter", "heading", "subheading"
    code: str  # digits, or the section's roman numeral
    description: str
    dotted: str  # as printed: "8471.30"


@dataclass(frozen=True, slots=True)
class SearchHit:
    entry: Entry
    score: float


@dataclass
class _Index:
    postings: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    lengths: dict[str, int] = field(default_factory=dict)
    average_length: float = 1.0


def stem(word: str) -> str:
    """A light English stemmer: enough to match plural and singular forms."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def describing_tokens(text: str) -> list[str]:
    """Words of a legal description that say what the goods are, negations left out."""
    out: list[str] = []
    negated = False
    previous = ""
    for match in re.finditer(r"[^\W_]+|[;,():]", text.lower()):
        word = match.group(0)
        if word in _NEGATION_ENDS:
            negated = False
        elif word in _NEGATION_STARTS and not (word == "not" and previous == "or"):
            # "whether or not roasted" covers both, so it is no negation
            negated = True
        elif not negated and word not in _STOPWORDS:
            out.append(stem(word))
        previous = word
    return out


class Nomenclature:
    """One edition of the HS, held in memory (about 7,000 entries)."""

    def __init__(
        self,
        edition: HsEdition,
        sections: Iterable[Section],
        entries: Iterable[Entry],
    ) -> None:
        self.edition = edition
        self._sections = {s.number: s for s in sections}
        self._entries: dict[str, Entry] = {}
        self._children: dict[str, list[str]] = defaultdict(list)
        for entry in sorted(entries, key=lambda e: e.code.digits):
            if entry.code.edition != edition:
                raise ValueError(f"{entry.code!r} is not of edition {edition}")
            if entry.section not in self._sections:
                raise ValueError(f"{entry.code!r} names unknown section {entry.section}")
            self._entries[entry.code.digits] = entry
            parent = entry.code.parent
            if parent is not None:
                self._children[parent.digits].append(entry.code.digits)
        self._index = self._build_index()

    # ---------------------------------------------------------------- lookup
    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return (
            isinstance(code, HsCode)
            and code.edition == self.edition
            and code.digits in self._entries
        )

    @property
    def sections(self) -> Sequence[Section]:
        return list(self._sections.values())

    def entries(self) -> Iterable[Entry]:
        return self._entries.values()

    def code(self, value: str | HsCode) -> HsCode:
        """A code of this edition: text is read in it; a code of another edition is refused."""
        return HsCode(value, self.edition)

    def get(self, value: str | HsCode) -> Entry:
        """The entry for a code; a national code resolves to its HS-6 subheading."""
        code = self.code(value)
        key = code.digits if code.level != HsLevel.NATIONAL else code.digits[:6]
        entry = self._entries.get(key)
        if entry is None:
            raise NotFound.of(
                "hs.not_found",
                N_("%(code)s is not in the %(edition)s nomenclature."),
                field="code",
                code=code.dotted(),
                edition=self.edition.value,
            )
        return entry

    def path(self, value: str | HsCode) -> list[PathStep]:
        """Section ▸ chapter ▸ heading ▸ subheading, down to the code asked for."""
        entry = self.get(value)
        section = self._sections[entry.section]
        steps = [PathStep("section", section.number, section.title, section.number)]
        for n in (2, 4, 6):
            if len(entry.code.digits) >= n:
                e = self._entries[entry.code.digits[:n]]
                steps.append(PathStep(e.level.value, e.code.digits, e.description, e.code.dotted()))
        return steps

    def children(self, value: str | HsCode) -> list[Entry]:
        entry = self.get(value)
        return [self._entries[c] for c in self._children.get(entry.code.digits, [])]

    def chapters_of(self, section: str) -> list[Entry]:
        return [
            e for e in self._entries.values() if e.level == HsLevel.CHAPTER and e.section == section
        ]

    # ---------------------------------------------------------------- search
    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Codes for a description or a partial code, most relevant first."""
        text = validate_query(query)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput.of(
                "hs.invalid_limit",
                N_("The limit must be between 1 and %(max)s; got %(limit)s."),
                field="limit",
                max=MAX_LIMIT,
                limit=limit,
            )
        digits = normalise_digits(text)
        if digits.isdigit() and digits.isascii():
            return self._search_code_prefix(digits, limit)
        return self._search_words(text, limit)

    def _search_code_prefix(self, digits: str, limit: int) -> list[SearchHit]:
        # Entries are kept in code order, so the code itself comes first, then
        # everything under it. A national code searches its HS-6 root.
        root = digits[:6]
        hits = [
            SearchHit(e, 1.0 if key == root else 0.5)
            for key, e in self._entries.items()
            if key.startswith(root)
        ]
        return hits[:limit]

    def _search_words(self, text: str, limit: int) -> list[SearchHit]:
        terms = tokens(text)
        if not terms:
            return []
        scores: dict[str, float] = defaultdict(float)
        n_docs = len(self._index.lengths)
        k1, b = 1.2, 0.75
        for term in set(terms):
            postings = self._index.postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (n_docs - len(postings) + 0.5) / (len(postings) + 0.5))
            for key, tf in postings.items():
                norm = 1 - b + b * self._index.lengths[key] / self._index.average_length
                scores[key] += idf * tf * (k1 + 1) / (tf + k1 * norm)
        # Goods are declared at subheading level: prefer it when scores tie closely.
        ranked = sorted(
            scores.items(),
            key=lambda kv: (-round(kv[1], 6), -len(kv[0]), kv[0]),
        )
        return [SearchHit(self._entries[key], round(score, 4)) for key, score in ranked[:limit]]

    def _build_index(self) -> _Index:
        index = _Index()
        for key, entry in self._entries.items():
            words = describing_tokens(entry.description)
            for term in entry.search_terms:
                # a search reference is a strong signal: count it twice
                words.extend(tokens(term) * 2)
            for term, count in Counter(words).items():
                index.postings[term][key] = count
            index.lengths[key] = max(len(words), 1)
        if index.lengths:
            index.average_length = sum(index.lengths.values()) / len(index.lengths)
        index.postings = dict(index.postings)
        return index


def validate_query(query: str) -> str:
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise InvalidInput.of(
            "hs.empty_query",
            N_("Type a description or a code to search for, e.g. 'roasted coffee' or 8471."),
            field="q",
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput.of(
            "hs.query_too_long",
            N_("The search text has %(length)s characters; shorten it to %(max)s or fewer."),
            field="q",
            length=len(text),
            max=MAX_QUERY_LENGTH,
        )
    return text


def attach_search_terms(
    entries: Iterable[Entry], terms: Mapping[str, Sequence[str]]
) -> list[Entry]:
    """Entries with their search references attached (keys are code digits)."""
    out = []
    for e in entries:
        extra = tuple(terms.get(e.code.digits, ()))
        out.append(Entry(e.code, e.description, e.section, e.search_terms + extra))
    return out
