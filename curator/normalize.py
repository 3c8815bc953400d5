"""Normalise money, dates and identifiers before comparing them -- never before display.

``"1.234,56"`` == ``1234.56`` == ``"1,234.56 EUR"``; ``"20190315"`` == ``"03/15/2019"`` ==
``"15.03.2019"`` == ``"2019-03-15"``; ``"RE-2019/00123"`` == ``"re 2019 00123"``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"[€$£¥]|\b(?:EUR|USD|CHF|PLN|GBP)\b", re.IGNORECASE)
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})


def parse_decimal(value: object, decimal: str | None = None) -> Decimal | None:
    """Parse an amount as people and ERPs write it.

    Handles thousands separators of either convention, a trailing minus (SAP ``100,00-``),
    parentheses for negatives, currency signs and codes. ``decimal`` forces the decimal
    separator when the source's convention is known (``","`` for German SAP exports).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    text = _CURRENCY.sub("", str(value)).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    text = text.replace("'", "")
    if not text:
        return None
    negative = False
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if text.startswith("+"):
        text = text[1:]
    if not re.fullmatch(r"[\d.,]+", text) or not any(ch.isdigit() for ch in text):
        raise ValueError(f"not an amount: {value!r}")
    separator = decimal or _guess_decimal_separator(text)
    thousands = "." if separator == "," else ","
    text = text.replace(thousands, "")
    if separator == ",":
        text = text.replace(",", ".")
    if text.count(".") > 1:
        raise ValueError(f"not an amount: {value!r}")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    return -number if negative else number


def _guess_decimal_separator(text: str) -> str:
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        return "." if last_dot > last_comma else ","
    if last_comma >= 0:
        # "1,234" is a thousands group in English; "12,5" / "100,00" is a decimal comma.
        digits_after = len(text) - last_comma - 1
        return "." if digits_after == 3 else ","
    if last_dot >= 0 and text.count(".") > 1:
        return ","  # "1.234.567" groups with dots: the decimal separator would be a comma
    return "."


def money_key(value: object, decimal: str | None = None) -> str | None:
    """Canonical text of an amount (two decimals), for exact comparison and indexing."""
    try:
        number = parse_decimal(value, decimal)
    except ValueError:
        return None
    return None if number is None else f"{number.quantize(Decimal('0.01'))}"


DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%y")


def parse_date(value: object, fmt: str | None = None) -> date | None:
    """Parse the date formats ERPs and documents use; ``fmt`` pins one strptime format."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    odata = _ODATA_DATE.match(text)
    if odata:
        return datetime.fromtimestamp(int(odata.group(1)) / 1000, tz=timezone.utc).date()
    if fmt:
        return datetime.strptime(text, fmt).date()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)  # the common case, 20x cheaper than strptime
        except ValueError:
            pass
    for candidate in DATE_FORMATS:
        try:
            return datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    words = re.findall(r"[A-Za-z]+|\d+", text)
    if len(words) == 3:
        try:
            if words[0].lower() in MONTHS:  # March 15, 2019
                return date(int(words[2]), MONTHS[words[0].lower()], int(words[1]))
            if words[1].lower() in MONTHS:  # 15 March 2019
                return date(int(words[2]), MONTHS[words[1].lower()], int(words[0]))
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    if any(word.casefold().rstrip(".") in month_words() for word in re.findall(r"[^\W\d_]{3,}\.?", text)):
        return _parse_month_name_date(text)  # a month name in another language: "7. Mai 2014", "29 maart 2014"
    return None


@lru_cache(maxsize=4096)
def _parse_month_name_date(text: str) -> date | None:
    found = _date_parser().get_date_data(text)
    return found.date_obj.date() if found and found.date_obj else None


@lru_cache(maxsize=1)
def month_words() -> frozenset[str]:
    """Month names and abbreviations in the ERP languages, from the CLDR data babel ships:
    only text that names a month is handed to dateparser (which tries every language it is
    given, and is slow on text that is no date at all)."""
    from babel.dates import get_month_names

    out = set()
    for language in DATE_LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                out |= {name.casefold().rstrip(".") for name in get_month_names(width, context, language).values()}
    return frozenset(out)


DATE_LANGUAGES = ("en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "da")
_PARSER = None


def _date_parser():
    """dateparser, limited to the languages of European ERPs and to full dates (day, month, year)."""
    global _PARSER
    if _PARSER is None:
        from dateparser.date import DateDataParser

        _PARSER = DateDataParser(languages=list(DATE_LANGUAGES),
                                 settings={"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first"})
    return _PARSER


_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def identifier_key(value: object) -> str:
    """Letters and digits only, upper case: how an identifier compares across sources."""
    return _NOT_ALNUM.sub("", strip_accents(str(value)).upper())


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def text_key(value: object, keep_case: bool = False) -> str:
    """Case-, accent- and white-space-insensitive text for fuzzy comparison."""
    # OCR reads a German sharp s as a Greek beta often enough to matter ("Werkstraβe").
    text = strip_accents(str(value)).replace("ß", "ss").replace("β", "ss")
    text = text if keep_case else text.casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text)).strip()
