"""Duty and taxes on imported goods, each step written down so it can be explained and replayed.

For each item: the customs value on a CIF basis (the price, plus freight and insurance
to the port of import where the incoterm leaves them out, less costs after arrival
declared apart), converted into the national currency at the rate in force on the
declaration date; the duty of the tariff line in force for the item's code and rate
type; the value added tax on the customs value plus the duty. For the declaration: each
tax's total, rounded as the law says, and a duty below the collection minimum not
collected. The parameters and their articles are data (`data/kr/taxes.yaml`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from opencustoms.clearance.tariff import (
    AdValorem,
    Compound,
    Duty,
    Schedule,
    Specific,
    TariffLine,
    Unit,
    plain_number,
)
from opencustoms.kernel.errors import N_, DomainError, InvalidInput
from opencustoms.kernel.exchange import ExchangeRateTable
from opencustoms.kernel.hs import HsCode
from opencustoms.kernel.money import Currency, Money
from opencustoms.reference.yamlstrict import Node, compose_text


class Incoterm(StrEnum):
    """Incoterms 2020: who pays the carriage and the insurance of the main journey."""

    EXW = "EXW"
    FCA = "FCA"
    FAS = "FAS"
    FOB = "FOB"
    CFR = "CFR"
    CIF = "CIF"
    CPT = "CPT"
    CIP = "CIP"
    DAP = "DAP"
    DPU = "DPU"
    DDP = "DDP"


FREIGHT_IN_PRICE = frozenset(
    {Incoterm.CFR, Incoterm.CIF, Incoterm.CPT, Incoterm.CIP, Incoterm.DAP, Incoterm.DPU}
    | {Incoterm.DDP}
)
INSURANCE_IN_PRICE = frozenset(
    {Incoterm.CIF, Incoterm.CIP, Incoterm.DAP, Incoterm.DPU, Incoterm.DDP}
)
ROUNDING = {"down": ROUND_DOWN, "half-up": ROUND_HALF_UP}
# what a price leaves out is added to reach the CIF value (Customs Act Art. 30(1))
_ADDED = (
    ("freight", FREIGHT_IN_PRICE, N_("plus freight to the port of import %(amount)s")),
    ("insurance", INSURANCE_IN_PRICE, N_("plus insurance %(amount)s")),
)


@dataclass(frozen=True, slots=True)
class Rounding:
    quantum: Decimal  # 1: to the won; 10: to ten won
    mode: str  # a decimal rounding mode

    def __call__(self, money: Money) -> Money:
        units = (money.amount / self.quantum).to_integral_value(rounding=self.mode)
        # quantize: a rate like 1.25E+3 must not leave 1.25000E+6 won behind
        return Money(units.quantize(Decimal(1)) * self.quantum, money.currency)


@dataclass(frozen=True, slots=True)
class TaxRules:
    country: str
    currency: Currency
    item: Rounding
    total: Rounding
    minimum_duty: Money
    vat_percent: Decimal
    cites: dict[str, str] = field(hash=False, compare=False)
    post_importation_months: int = 12  # how long after a declaration a preference may be claimed
    source: str = ""


@dataclass(frozen=True, slots=True)
class Goods:
    """What duty needs to know of a declared item."""

    code: HsCode
    rate_type: str
    price: Money  # what was paid or is payable, on the incoterm's basis
    incoterm: Incoterm
    net_mass: Decimal  # kg
    freight: Money | None = None  # to the port of import, where the price leaves it out
    insurance: Money | None = None
    post_arrival: Money | None = None  # costs after arrival in the price (D terms), deducted
    quantity: Decimal | None = None  # in `quantity_unit`, for duty per unit or per litre
    quantity_unit: Unit | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the arithmetic: what was done, in words (a catalogue message), and the result."""

    key: str  # stable: "price", "freight", "converted", "value", "duty", "vat", ...
    message: str  # a msgid; rendered at the edge with `params`
    params: dict[str, str] = field(hash=False)
    amount: Money | None = None
    cite: str | None = None  # a key of TaxRules.cites

    def render(self, translate: Any = None) -> str:
        text = translate(self.message) if translate else self.message
        return text % self.params


@dataclass(frozen=True, slots=True)
class ItemDuty:
    line: TariffLine
    customs_value: Money
    duty: Money
    vat: Money
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    items: tuple[ItemDuty, ...]
    duty: Money  # to collect
    vat: Money
    steps: tuple[Step, ...]  # the declaration's totals
    schedule: str  # "name version", recorded for replay
    taxes: str

    @property
    def total(self) -> Money:
        return self.duty + self.vat


def _text(money: Money) -> str:
    return f"{money.amount.normalize():,f} {money.currency.code}"


def _convert(
    money: Money, rules: TaxRules, rates: ExchangeRateTable, on: date, steps: list[Step], key: str
) -> Money:
    if money.currency == rules.currency:
        return money
    rate, derived = rates.quote(money.currency, rules.currency, on)
    converted = Money(money.amount * rate, rules.currency)
    message = (
        N_(
            "%(amount)s at %(rate)s %(target)s per %(source)s (the reverse rate) in force on %(on)s = %(converted)s"
        )
        if derived
        else N_(
            "%(amount)s at %(rate)s %(target)s per %(source)s in force on %(on)s = %(converted)s"
        )
    )
    steps.append(
        Step(
            f"{key}.converted",
            message,
            {
                "amount": _text(money),
                "rate": f"{rate.normalize():f}",
                "target": rules.currency.code,
                "source": money.currency.code,
                "on": on.isoformat(),
                "converted": _text(converted),
            },
            converted,
            "exchange_rate",
        )
    )
    return converted


def customs_value(
    goods: Goods, on: date, rates: ExchangeRateTable, rules: TaxRules, steps: list[Step]
) -> Money:
    """The CIF value in the national currency, kept to the item's rounding."""
    steps.append(
        Step(
            "price",
            N_("price %(amount)s (%(incoterm)s)"),
            {"amount": _text(goods.price), "incoterm": goods.incoterm.value},
            goods.price,
        )
    )
    value = _convert(goods.price, rules, rates, on, steps, "price")
    for key, in_price, message in _ADDED:
        if goods.incoterm in in_price:
            continue
        cost = goods.freight if key == "freight" else goods.insurance
        if cost is None:
            raise _needs(key, goods.incoterm)
        added = _convert(cost, rules, rates, on, steps, key)
        value += added
        steps.append(Step(key, message, {"amount": _text(added)}, value, "customs_value"))
    if goods.post_arrival is not None and goods.post_arrival.amount:
        after = _convert(goods.post_arrival, rules, rates, on, steps, "post_arrival")
        value -= after
        steps.append(
            Step(
                "post_arrival",
                N_("less costs after arrival %(amount)s"),
                {"amount": _text(after)},
                value,
                "customs_value",
            )
        )
    if value.amount < 0:
        raise InvalidInput.of(
            "duty.negative_value",
            N_("The costs after arrival exceed the price: the customs value would be %(value)s."),
            field="post_arrival",
            value=_text(value),
        )
    value = rules.item(value)
    steps.append(
        Step(
            "value",
            N_("customs value %(amount)s"),
            {"amount": _text(value)},
            value,
            "customs_value",
        )
    )
    return value


_NEEDS = {
    "freight": N_(
        "A price %(incoterm)s leaves out the freight to the port of import: declare it, as the customs value is on a CIF basis."
    ),
    "insurance": N_(
        "A price %(incoterm)s leaves out the insurance to the port of import: declare it, as the customs value is on a CIF basis."
    ),
}


def _needs(what: str, incoterm: Incoterm) -> InvalidInput:
    return InvalidInput.of(
        f"duty.{what}_required", _NEEDS[what], field=what, incoterm=incoterm.value
    )


def _quantity(goods: Goods, per: Unit) -> Decimal:
    if per is Unit.KG and goods.net_mass > 0:
        return goods.net_mass
    if per is Unit.KG or goods.quantity is None or goods.quantity_unit is not per:
        raise InvalidInput.of(
            "duty.quantity_required",
            N_("The rate for %(code)s is per %(unit)s: declare the item's quantity in %(unit)s."),
            field="net_mass" if per is Unit.KG else "quantity",
            code=goods.code.dotted(),
            unit=per.value,
        )
    return goods.quantity


def _duty(
    duty: Duty,
    goods: Goods,
    value: Money,
    on: date,
    rates: ExchangeRateTable,
    rules: TaxRules,
    steps: list[Step],
) -> Money:
    if isinstance(duty, AdValorem):
        amount = Money(value.amount * duty.percent / 100, value.currency)
        steps.append(
            Step(
                "duty.ad_valorem",
                N_("%(percent)s%% of %(value)s = %(amount)s"),
                {
                    "percent": plain_number(duty.percent),
                    "value": _text(value),
                    "amount": _text(amount),
                },
                amount,
            )
        )
        return amount
    if isinstance(duty, Specific):
        per_unit = _convert(duty.amount, rules, rates, on, steps, "rate")
        quantity = _quantity(goods, duty.per)
        amount = Money(per_unit.amount * quantity, value.currency)
        steps.append(
            Step(
                "duty.specific",
                N_("%(rate)s × %(quantity)s %(unit)s = %(amount)s"),
                {
                    "rate": _text(per_unit),
                    "quantity": f"{quantity:,}",
                    "unit": duty.per.value,
                    "amount": _text(amount),
                },
                amount,
            )
        )
        return amount
    if isinstance(duty, Compound):
        total = Money.zero(value.currency)
        for part in duty.parts:
            total += _duty(part, goods, value, on, rates, rules, steps)
        steps.append(
            Step("duty.compound", N_("added: %(amount)s"), {"amount": _text(total)}, total)
        )
        return total
    options = [_duty(o, goods, value, on, rates, rules, steps) for o in duty.options]
    higher = max(options, key=lambda m: m.amount)
    steps.append(
        Step(
            "duty.higher",
            N_("the higher: %(amount)s (%(duty)s)"),
            {"amount": _text(higher), "duty": str(duty.options[options.index(higher)])},
            higher,
        )
    )
    return higher


def assess_item(
    goods: Goods, on: date, schedule: Schedule, rates: ExchangeRateTable, rules: TaxRules
) -> ItemDuty:
    steps: list[Step] = []
    value = customs_value(goods, on, rates, rules, steps)
    line = schedule.line(goods.code, goods.rate_type, on)
    steps.append(
        Step(
            "rate",
            N_("%(rate_type)s rate of %(code)s on %(on)s: %(duty)s (%(source)s)"),
            {
                "rate_type": line.rate_type,
                "code": line.code.dotted(),
                "on": on.isoformat(),
                "duty": str(line.duty),
                "source": line.source,
            },
        )
    )
    duty = rules.item(_duty(line.duty, goods, value, on, rates, rules, steps))
    steps.append(Step("duty", N_("duty %(amount)s"), {"amount": _text(duty)}, duty))
    base = value + duty
    vat = rules.item(Money(base.amount * rules.vat_percent / 100, base.currency))
    steps.append(
        Step(
            "vat",
            N_("value added tax %(percent)s%% of %(base)s (customs value plus duty) = %(amount)s"),
            {
                "percent": f"{rules.vat_percent.normalize():f}",
                "base": _text(base),
                "amount": _text(vat),
            },
            vat,
            "vat",
        )
    )
    return ItemDuty(line, value, duty, vat, tuple(steps))


def assess(
    goods: Sequence[Goods],
    on: date,
    schedule: Schedule,
    rates: ExchangeRateTable,
    rules: TaxRules,
) -> Assessment:
    """Every item assessed, then the declaration's totals. Items that cannot be assessed
    (a bad amount, no rate in force) raise together, each at its item's path."""
    items: list[ItemDuty] = []
    failed: list[DomainError] = []
    for i, g in enumerate(goods):
        try:
            items.append(assess_item(g, on, schedule, rates, rules))
        except DomainError as e:
            failed.append(e.under(f"items[{i}]"))
    if failed:
        first = failed[0]
        raise type(first)(*(f for e in failed for f in e.findings))
    zero = Money.zero(rules.currency)
    duty = rules.total(sum((x.duty for x in items), zero))
    vat = rules.total(sum((x.vat for x in items), zero))
    steps = [
        Step(
            "total.duty",
            N_("duty on the declaration %(amount)s"),
            {"amount": _text(duty)},
            duty,
            "total",
        )
    ]
    if duty.amount and duty < rules.minimum_duty:
        steps.append(
            Step(
                "total.minimum",
                N_("under %(minimum)s: not collected"),
                {"minimum": _text(rules.minimum_duty)},
                zero,
                "minimum_duty",
            )
        )
        duty = zero
    steps.append(
        Step(
            "total.vat",
            N_("value added tax on the declaration %(amount)s"),
            {"amount": _text(vat)},
            vat,
            "total",
        )
    )
    return Assessment(
        tuple(items),
        duty,
        vat,
        tuple(steps),
        f"{schedule.name} {schedule.version}",
        rules.source,
    )


def _decimal(node: Node, what: str) -> Decimal:
    try:
        value = Decimal(node.text())
    except ArithmeticError:
        raise node.error("expected %(what)s", what=what) from None
    if not value.is_finite() or value < 0:
        raise node.error("expected %(what)s", what=what)
    return value


def _rounding(node: Node) -> Rounding:
    f = node.mapping({"quantum", "mode"}, set())
    mode = f["mode"].text()
    if mode not in ROUNDING:
        raise f["mode"].error("expected one of %(modes)s", modes=", ".join(ROUNDING))
    quantum = _decimal(f["quantum"], "a positive amount such as 1 or 10")
    if not quantum:
        raise f["quantum"].error("expected a positive amount such as 1 or 10")
    return Rounding(quantum, ROUNDING[mode])


def read_tax_rules(text: str, source: str) -> TaxRules:
    root = compose_text(text, source).mapping(
        {
            "country",
            "currency",
            "customs_value",
            "exchange_rate",
            "rounding",
            "minimum_duty",
            "vat",
        },
        {"post_importation_claim"},
    )
    currency = Currency(root["currency"].text())
    cites: dict[str, str] = {}
    value = root["customs_value"].mapping({"basis", "cite"}, {"verified"})
    if value["basis"].text() != "CIF":
        raise value["basis"].error("only a CIF basis is implemented")
    cites["customs_value"] = value["cite"].text()
    cites["exchange_rate"] = root["exchange_rate"].mapping({"cite"}, {"verified"})["cite"].text()
    rounding = root["rounding"].mapping({"item", "total", "item_cite", "total_cite"}, {"verified"})
    cites["item"] = rounding["item_cite"].text()
    cites["total"] = rounding["total_cite"].text()
    minimum = root["minimum_duty"].mapping({"amount", "cite"}, {"verified"})
    cites["minimum_duty"] = minimum["cite"].text()
    vat = root["vat"].mapping({"percent", "cite"}, {"verified"})
    cites["vat"] = vat["cite"].text()
    percent = _decimal(vat["percent"], "a percentage")
    months = 12
    if "post_importation_claim" in root:
        claim = root["post_importation_claim"].mapping({"months", "cite"}, {"verified"})
        cites["post_importation_claim"] = claim["cite"].text()
        months = claim["months"].integer()
    return TaxRules(
        country=root["country"].text(),
        currency=currency,
        item=_rounding(rounding["item"]),
        total=_rounding(rounding["total"]),
        minimum_duty=Money(_decimal(minimum["amount"], "an amount"), currency),
        vat_percent=percent,
        cites=cites,
        source=source,
        post_importation_months=months,
    )
