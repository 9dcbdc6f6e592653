"""Rate types: which rate of the schedule a declared item claims, and what that claim needs.

Korea's import declaration names a tariff-rate type per item (관세율구분): `A` the basic
rate, `C` the WTO concession, `F??1` a free trade agreement's preferential rate (`FCN1`
Korea–China, `FEU1` Korea–EU, ...). A preferential type names its agreement, the
countries whose goods may claim it, and the proofs of origin it accepts: a certificate
issued by an authority of the exporting country (exchanged electronically where the two
customs administrations are linked), or an origin declaration made out by the exporter
(self-certification). The table is data (`data/kr/rate_types.yaml`), cited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.reference.yamlstrict import Node, compose_text


class RateKind(StrEnum):
    BASIC = "basic"  # the national tariff's basic rate
    WTO = "wto"  # a rate bound in the WTO schedule
    FTA = "fta"  # a free trade agreement's preferential rate: a proof of origin is needed
    OTHER = "other"  # another national rate type


class ProofType(StrEnum):
    CERTIFICATE = "certificate"  # issued by an authority of the exporting country
    ORIGIN_DECLARATION = "origin-declaration"  # made out by the exporter (self-certified)


@dataclass(frozen=True, slots=True)
class RateType:
    code: str
    name: str
    kind: RateKind
    agreement: str | None = None  # the origin profile's id where there is one: "kcfta"
    origins: frozenset[str] = frozenset()  # countries whose goods may claim it (FTA)
    origins_until: tuple[tuple[str, date], ...] = ()  # a country's last day, e.g. GB in FEU1
    valid_from: date | None = None  # the agreement's entry into force, where the data says
    proofs: tuple[ProofType, ...] = ()
    cite: str = ""
    verified: bool = True  # False: cited from a text not in the shared legal folder

    @property
    def preferential(self) -> bool:
        return self.kind is RateKind.FTA

    def may_claim(self, origin: str, on: date) -> bool:
        if origin not in self.origins or (self.valid_from is not None and on < self.valid_from):
            return False
        return all(day >= on for country, day in self.origins_until if country == origin)


class RateTypes:
    def __init__(self, types: list[RateType], country: str, basic: str, source: str) -> None:
        self._types = {t.code: t for t in types}
        self.country = country
        self.basic = basic  # the rate applied when a preference is denied: "A"
        self.source = source

    def __len__(self) -> int:
        return len(self._types)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._types.values())

    def get(self, code: str) -> RateType | None:
        return self._types.get(code.strip().upper())

    def require(self, code: str, field: str = "rate_type") -> RateType:
        found = self.get(code)
        if found is None:
            raise InvalidInput.of(
                "clearance.unknown_rate_type",
                N_("'%(value)s' is not a rate type of %(country)s: use one of %(known)s."),
                field=field,
                value=code[:12],
                country=self.country,
                known=", ".join(sorted(self._types)[:12]) + ", ...",
            )
        return found


_TYPE_FIELDS = {"code", "name", "kind"}
_TYPE_OPTIONAL = {
    "agreement", "origins", "origins_until", "valid_from", "proofs", "cite", "verified"
}  # fmt: skip


def _rate_type(node: Node) -> RateType:
    f = node.mapping(_TYPE_FIELDS, _TYPE_OPTIONAL)
    code = f["code"].text().upper()
    try:
        kind = RateKind(f["kind"].text())
    except ValueError:
        raise f["kind"].error(
            "expected one of %(kinds)s", kinds=", ".join(k.value for k in RateKind)
        ) from None
    origins: set[str] = set()
    for item in f["origins"].sequence() if "origins" in f else []:
        try:
            origins.add(Country(item.text()).alpha2)
        except InvalidInput:
            raise item.error("'%(value)s' is not an ISO 3166 country", value=item.text()) from None
    until: list[tuple[str, date]] = []
    if "origins_until" in f:
        pairs = f["origins_until"].node.value
        if not isinstance(pairs, list) or not all(isinstance(p, tuple) for p in pairs):
            raise f["origins_until"].error("expected COUNTRY: YYYY-MM-DD")
        for key, value in pairs:
            try:
                until.append((Country(str(key.value)).alpha2, date.fromisoformat(str(value.value))))
            except (InvalidInput, ValueError, TypeError, AttributeError):
                raise Node(key, node.source).error("expected COUNTRY: YYYY-MM-DD") from None
    valid_from = None
    if "valid_from" in f:
        try:
            valid_from = date.fromisoformat(f["valid_from"].text())
        except ValueError:
            raise f["valid_from"].error("expected a date as YYYY-MM-DD") from None
    proofs: list[ProofType] = []
    for item in f["proofs"].sequence() if "proofs" in f else []:
        try:
            proofs.append(ProofType(item.text()))
        except ValueError:
            raise item.error(
                "expected one of %(kinds)s", kinds=", ".join(p.value for p in ProofType)
            ) from None
    if kind is RateKind.FTA and not (origins and proofs and "agreement" in f):
        raise node.error("a preferential rate type names its agreement, origins and proofs")
    return RateType(
        code=code,
        name=" ".join(f["name"].text().split()),
        kind=kind,
        agreement=f["agreement"].text() if "agreement" in f else None,
        origins=frozenset(origins),
        origins_until=tuple(until),
        valid_from=valid_from,
        proofs=tuple(proofs),
        cite=" ".join(f["cite"].text().split()) if "cite" in f else "",
        verified=f["verified"].boolean() if "verified" in f else True,
    )


def read_rate_types(text: str, source: str) -> RateTypes:
    f = compose_text(text, source).mapping({"country", "basic", "types"}, set())
    types = [_rate_type(n) for n in f["types"].sequence()]
    codes = [t.code for t in types]
    duplicate = next((c for c in codes if codes.count(c) > 1), None)
    if duplicate:
        raise f["types"].error("rate type %(code)s is listed twice", code=duplicate)
    basic = f["basic"].text().upper()
    if basic not in codes:
        raise f["basic"].error("the basic rate type %(code)s is not listed", code=basic)
    return RateTypes(types, f["country"].text(), basic, source)
