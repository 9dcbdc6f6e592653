from datetime import UTC, date, datetime, timedelta

import pytest

from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import FixedClock, legal_date, local_time, parse_legal_date, zone
from opencustoms.kernel.errors import InvalidInput


def test_countries_by_alpha2_or_alpha3():
    assert Country("kr") == Country("KOR")
    assert Country("VN").alpha3 == "VNM"
    assert Country("GB").name == "United Kingdom"
    assert Country("xk").name == "Kosovo"  # user-assigned, as customs use it
    assert Country("XKX") == Country("XK")
    for bad in ["XX", "Korea", "", "K1"]:
        with pytest.raises(InvalidInput) as e:
            Country(bad)
        assert e.value.code == "country.unknown"


def test_a_legal_date_is_the_office_calendar_date():
    seoul = zone("Asia/Seoul")
    instant = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 March in Seoul
    assert legal_date(instant, seoul) == date(2026, 3, 2)
    assert legal_date(instant, zone("Europe/London")) == date(2026, 3, 1)
    assert local_time(instant, seoul).hour == 0


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        legal_date(datetime(2026, 1, 1), zone("UTC"))


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)


def test_bad_zone_and_date():
    with pytest.raises(InvalidInput):
        zone("Mars/Olympus")
    with pytest.raises(InvalidInput) as e:
        parse_legal_date("2026-02-30")
    assert e.value.code == "date.invalid"
