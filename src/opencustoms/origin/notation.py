"""The compact notation of rules: printed in YAML, the CLI and reports, and parsed back.

    CTH except 8473 | MaxNOM(EXW) <= 45%
    CC except 5201-5203 & Value("unprinted fabric") <= 47.5%(EXW)
    RVC(build-down, FOB) >= 40% | CTSH ; tolerance=no

`&` binds tighter than `|`; parentheses group. `parse(render(rule)) == rule`
for every rule (tested with generated trees). The grammar is in `GRAMMAR`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.origin.rules import (
    AllOf,
    AnyOf,
    HsRange,
    ManufactureFrom,
    Materials,
    MaterialsOriginating,
    MaterialValueLimit,
    MaxNonOriginating,
    NeedsReview,
    Node,
    NonOriginatingWithinOriginating,
    Permit,
    ProducedExclusively,
    RegionalValueContent,
    RvcMethod,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    Tolerance,
    ValueBase,
    WhollyObtained,
    all_of,
    any_of,
    quote,
)

GRAMMAR = r"""
start: alt tolerance?
tolerance: ";" "tolerance" "=" TOLERANCE
?alt: conj ("|" conj)*
?conj: atom ("&" atom)*
?atom: "(" alt ")"
     | wo | pe | shift | rvc | maxnom | nomom | value | mfrom | originating | process | review
wo: "WO" ("(" materials ")")?
pe: "PE"
shift: SHIFT except_ from_ allowance permit* exclude*
permit: "permit" "(" materials ("<=" PERCENT "(" BASE ")")? ")"
exclude: "exclude" "(" materials ")"
except_: ("except" ranges)?
from_: ("from" ranges)?
allowance: ("allow" PERCENT "(" BASE ")")?
rvc: "RVC" "(" METHOD "," BASE ("," materials)? ")" ">=" PERCENT
maxnom: MAXNOM "(" BASE ")" "<=" PERCENT
nomom: "NOM" "<=" "OM"
value: "Value" "(" materials ")" "<=" PERCENT "(" BASE ")"
mfrom: "From" "(" materials ")"
originating: "Originating" "(" materials ")"
process: "Process" "(" STRING ")"
review: "REVIEW"
materials: hs? STRING?
hs: "hs" "(" ranges ")"
ranges: range ("," range)*
range: CODE ("-" CODE)?

SHIFT: "CTSH" | "CTH" | "CC" | "ANY"
MAXNOM: "MaxNOM"
METHOD: "build-down" | "build-up" | "net-cost" | "focused-value"
BASE: "EXW" | "FOB"
TOLERANCE: "yes" | "no"
PERCENT: /\d+(\.\d+)?%/
CODE: /\d{2}(\d{2}(\d{2})?)?(?!\d)/
STRING: /"(\\.|[^"\\])*"/

%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def _percent(token: Token) -> Decimal:
    return Decimal(str(token)[:-1])


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return body.replace('\\"', '"').replace("\\\\", "\\")


@v_args(inline=True)
class _Build(Transformer[Any, Any]):
    def start(
        self, tree: Node, tolerance: Tolerance = Tolerance.AGREEMENT
    ) -> tuple[Node, Tolerance]:
        return tree, tolerance

    def tolerance(self, value: Token) -> Tolerance:
        return Tolerance(str(value))

    def alt(self, *parts: Node) -> Node:
        return any_of(*parts)

    def conj(self, *parts: Node) -> Node:
        return all_of(*parts)

    def wo(self, materials: Materials | None = None) -> Node:
        return WhollyObtained(materials)

    def pe(self) -> Node:
        return ProducedExclusively()

    def shift(
        self,
        level: Token,
        exceptions: tuple[HsRange, ...],
        only_from: tuple[HsRange, ...],
        allowance: tuple[Decimal, ValueBase] | None,
        *extras: Permit | Materials,
    ) -> Node:
        share, base = allowance if allowance else (None, ValueBase.EXW)
        permits = tuple(e for e in extras if isinstance(e, Permit))
        exclusions = tuple(e for e in extras if isinstance(e, Materials))
        return TariffShift(
            ShiftLevel(str(level)), exceptions, only_from, share, base, permits, exclusions
        )

    def exclude(self, materials: Materials) -> Materials:
        return materials

    def permit(
        self, materials: Materials, share: Token | None = None, base: Token | None = None
    ) -> Permit:
        if share is None or base is None:
            return Permit(materials)
        return Permit(materials, _percent(share), ValueBase(str(base)))

    def except_(self, ranges: tuple[HsRange, ...] = ()) -> tuple[HsRange, ...]:
        return ranges

    from_ = except_

    def allowance(
        self, share: Token | None = None, base: Token | None = None
    ) -> tuple[Decimal, ValueBase] | None:
        if share is None or base is None:
            return None
        return _percent(share), ValueBase(str(base))

    def rvc(self, method: Token, base: Token, *rest: Any) -> Node:
        materials = rest[0] if len(rest) == 2 else None
        share = rest[-1]
        return RegionalValueContent(
            RvcMethod(str(method)), ValueBase(str(base)), _percent(share), materials
        )

    def maxnom(self, kind: Token, base: Token, share: Token) -> Node:
        return MaxNonOriginating(ValueBase(str(base)), _percent(share))

    def nomom(self) -> Node:
        return NonOriginatingWithinOriginating()

    def value(self, materials: Materials, share: Token, base: Token) -> Node:
        return MaterialValueLimit(materials, _percent(share), ValueBase(str(base)))

    def mfrom(self, materials: Materials) -> Node:
        return ManufactureFrom(materials)

    def originating(self, materials: Materials) -> Node:
        return MaterialsOriginating(materials)

    def process(self, name: Token) -> Node:
        return SpecificProcess(_unquote(name))

    def review(self) -> Node:
        return NeedsReview()

    def materials(self, *parts: Any) -> Materials:
        hs: tuple[HsRange, ...] = ()
        name = ""
        for part in parts:
            if isinstance(part, tuple):
                hs = part
            else:
                name = _unquote(part)
        return Materials(hs, name)

    def hs(self, ranges: tuple[HsRange, ...]) -> tuple[HsRange, ...]:
        return ranges

    def ranges(self, *items: HsRange) -> tuple[HsRange, ...]:
        return tuple(items)

    def range(self, start: Token, end: Token | None = None) -> HsRange:
        return HsRange(str(start), str(end) if end is not None else None)


def parse(text: str) -> tuple[Node, Tolerance]:
    """A rule and its tolerance policy from the notation; InvalidInput says where it fails."""
    try:
        tree = _PARSER.parse(text)
        result: tuple[Node, Tolerance] = _Build().transform(tree)
    except UnexpectedInput as e:
        raise InvalidInput.of(
            "origin.bad_notation",
            N_("Rule notation '%(text)s' is not valid at column %(column)s: %(context)s"),
            field="rule",
            text=text[:200],
            column=e.column,
            context=e.get_context(text, 20).splitlines()[0].strip()[:60],
        ) from None
    except VisitError as e:  # well-formed, but breaks an invariant (e.g. a backward range)
        raise InvalidInput.of(
            "origin.bad_notation",
            N_("Rule notation '%(text)s' is not valid: %(reason)s"),
            field="rule",
            text=text[:200],
            reason=str(e.orig_exc),
        ) from None
    return result


def parse_criteria(text: str) -> Node:
    return parse(text)[0]


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def render(node: Node, tolerance: Tolerance = Tolerance.AGREEMENT) -> str:
    """The notation of a rule (with its tolerance policy when it is not the agreement's)."""
    text = _render(node, top=True)
    if tolerance != Tolerance.AGREEMENT:
        text += f" ; tolerance={tolerance.value}"
    return text


def _ranges(ranges: tuple[HsRange, ...]) -> str:
    return ", ".join(r.notation() for r in ranges)


def _render(node: Node, top: bool = False) -> str:
    match node:
        case AnyOf(parts=parts):
            inner = " | ".join(_render(p) for p in parts)
            return inner if top else f"({inner})"
        case AllOf(parts=parts):
            return " & ".join(_render(p) for p in parts)
        case WhollyObtained(materials=m):
            return "WO" if m is None else f"WO({m.notation()})"
        case ProducedExclusively():
            return "PE"
        case TariffShift(
            level=level,
            exceptions=exc,
            only_from=frm,
            allowance=share,
            allowance_base=base,
            permits=permits,
            exclusions=exclusions,
        ):
            out = level.value
            if exc:
                out += f" except {_ranges(exc)}"
            if frm:
                out += f" from {_ranges(frm)}"
            if share is not None:
                out += f" allow {_decimal(share)}%({base.value})"
            for permit in permits:
                out += f" {permit.notation()}"
            for excluded in exclusions:
                out += f" exclude({excluded.notation()})"
            return out
        case RegionalValueContent(method=method, base=base, threshold=share, materials=m):
            focus = f", {m.notation()}" if m is not None else ""
            return f"RVC({method.value}, {base.value}{focus}) >= {_decimal(share)}%"
        case MaxNonOriginating(base=base, threshold=share):
            return f"MaxNOM({base.value}) <= {_decimal(share)}%"
        case NonOriginatingWithinOriginating():
            return "NOM <= OM"
        case MaterialValueLimit(materials=m, threshold=share, base=base):
            return f"Value({m.notation()}) <= {_decimal(share)}%({base.value})"
        case ManufactureFrom(materials=m):
            return f"From({m.notation()})"
        case MaterialsOriginating(materials=m):
            return f"Originating({m.notation()})"
        case SpecificProcess(process=name):
            return f"Process({quote(name)})"
        case NeedsReview():
            return "REVIEW"
    raise TypeError(f"no notation for {type(node).__name__}")
