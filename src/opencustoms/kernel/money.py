"""Money: a Decimal amount with its ISO 4217 currency. Never a float.

Amounts round per currency to its minor unit (KRW and JPY have none, USD and
EUR two, KWD three), half up, as customs duty is commonly rounded; a caller
may pass another rounding mode where a law says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

from opencustoms.kernel.errors import N_, InvalidInput

# Far above any customs value, and small enough that rounding stays exact in
# Decimal's default 28-digit context.
MAX_AMOUNT = Decimal(10) ** 18


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@dataclass(frozen=True, slots=True)
class Currency:
    code: str

    def __init__(self, code: str) -> None:
        normalised = code.strip().upper() if isinstance(code, str) else ""
        if normalised not in _currencies():
            raise InvalidInput.of(
                "money.unknown_currency",
                N_("'%(value)s' is not an ISO 4217 currency code, e.g. KRW, USD, EUR."),
                field="currency",
                value=str(code)[:16],
            )
        object.__setattr__(self, "code", normalised)

    @property
    def minor_units(self) -> int:
        return int(get_currency_precision(self.code))

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units)

    def __str__(self) -> str:
        return self.code


def to_decimal(value: Decimal | int | str, field: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float: pass a Decimal, an int or a string")
    if isinstance(value, bool):
        raise TypeError("money is not a bool")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvalidInput.of(
            "money.invalid_amount",
            N_("'%(value)s' is not an amount: write digits with a decimal point, e.g. 1250.50."),
            field=field,
            value=str(value)[:32],
        )
    if abs(amount) >= MAX_AMOUNT:
        raise InvalidInput.of(
            "money.too_large",
            N_("%(value)s is too large an amount: amounts stay below 10^18."),
            field=field,
            value=str(value)[:32],
        )
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: Currency

    def __init__(self, amount: Decimal | int | str, currency: Currency | str) -> None:
        object.__setattr__(self, "amount", to_decimal(amount))
        object.__setattr__(
            self, "currency", currency if isinstance(currency, Currency) else Currency(currency)
        )

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        return cls(Decimal(0), currency)

    def rounded(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Rounded to the currency's minor unit."""
        return Money(self.amount.quantize(self.currency.quantum, rounding=rounding), self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidInput.of(
                "money.currency_mismatch",
                N_("Cannot combine %(left)s with %(right)s: convert one currency first."),
                left=self.currency.code,
                right=other.currency.code,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply money by a Decimal, never a float")
        return Money(self.amount * Decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        """The amount as held (not rounded: that is a legal step, taken explicitly)."""
        return f"{self.amount:,} {self.currency.code}"
