"""Money, dates and identifiers compare equal however they are written."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curator.normalize import identifier_key, money_key, parse_date, parse_decimal, text_key


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1234.56", "1234.56"), ("100,00-", "-100.00"),
        ("-100.00", "-100.00"), ("(42.10)", "-42.10"), ("€ 1.234,56", "1234.56"), ("1,234.56 EUR", "1234.56"),
        ("12,5", "12.5"), ("1.234.567,89", "1234567.89"), ("1,234", "1234"), ("0,99", "0.99"), (17, "17"),
        ("CHF 73,72", "73.72"), ("1'234.50", "1234.50"),
    ],
)
def test_amounts(text, expected):
    assert parse_decimal(text) == Decimal(expected)


def test_known_decimal_comma_wins():
    assert parse_decimal("1,234", decimal=",") == Decimal("1.234")


@pytest.mark.parametrize("bad", ["abc", "1.2.3,4,5x", "--", "12a"])
def test_not_amounts(bad):
    with pytest.raises(ValueError):
        parse_decimal(bad)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_both_conventions_round_trip(value):
    english = f"{value:,.2f}"
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")
    sap = german.lstrip("-") + ("-" if value < 0 else "")
    assert money_key(english) == money_key(german) == money_key(sap) == f"{value:.2f}"


@pytest.mark.parametrize(
    "text", ["20190315", "2019-03-15", "15.03.2019", "03/15/2019", "15 March 2019", "March 15, 2019",
             "/Date(1552608000000)/"],
)
def test_dates(text):
    assert parse_date(text) == date(2019, 3, 15)


def test_identifiers_and_text():
    assert identifier_key("RE-2019/00123") == identifier_key("re 2019 00123") == "RE201900123"
    assert text_key("Müller  Technik GmbH,") == text_key("muller technik gmbh")
