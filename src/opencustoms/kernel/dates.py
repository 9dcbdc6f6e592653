"""Instants and legal dates.

Two kinds of time, kept apart on purpose:

* an *instant* (a message sent, an event recorded) is an aware `datetime` in
  UTC, and is stored that way;
* a *legal date* (an issue date, a declaration date, a validity period) is a
  calendar `date` in the time zone of the office that decides it: a
  declaration lodged at 00:30 in Seoul on 2 March is a 2 March declaration,
  though it is still 1 March in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opencustoms.kernel.errors import N_, InvalidInput


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: fixed until moved."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class ShiftedClock:
    """Another clock moved by a fixed offset: a node set days ahead lets drills and tests
    reach deadlines and timers without waiting for them."""

    def __init__(self, clock: Clock, offset: timedelta) -> None:
        self._clock = clock
        self.offset = offset

    def now(self) -> datetime:
        return self._clock.now() + self.offset


def ensure_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("an instant must be time-zone aware; naive datetimes are refused")
    return instant.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.of(
            "time.unknown_zone",
            N_("'%(value)s' is not a time zone; use an IANA name such as Asia/Seoul."),
            field="timezone",
            value=name[:64],
        ) from None


def legal_date(instant: datetime, office_zone: ZoneInfo) -> date:
    """The calendar date of an instant in the office's time zone."""
    return ensure_utc(instant).astimezone(office_zone).date()


def local_time(instant: datetime, office_zone: ZoneInfo) -> datetime:
    """An instant as the office's clock shows it, for display."""
    return ensure_utc(instant).astimezone(office_zone)


def parse_legal_date(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput.of(
            "date.invalid",
            N_("'%(value)s' is not a date: write YYYY-MM-DD."),
            field=field,
            value=str(value)[:32],
        ) from None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where that month is shorter;
    the calendar's last day (9999-12-31) where the result would lie beyond it."""
    years, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month + 1
    if year > date.max.year:
        return date.max
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")
