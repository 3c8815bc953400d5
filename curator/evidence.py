"""What a document says, in comparable form: identifiers, amounts, dates and plain text.

Built from the text layer, or from OCR for image-only pages, plus the file name. Matching
uses it to find and score candidate records; mapping uses it to flag a value that the
document does not show (a *suspect* field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz, process

from curator.normalize import identifier_key, money_key, parse_date, text_key

PRINTED_DIFFERENTLY = 0.75
GLUED = 0.92  # the words are all there, in order, without the spaces OCR dropped

# A currency code glued to the amount ("3.984,60PLN", as OCR reads a tight "3.984,60 PLN") ends it too.
_NUMBER = re.compile(r"(?<![\w])[-(]?\d[\d.,']*\d\)?-?(?=[A-Z]{3}\b|(?![\w]))|(?<![\w.,])\d(?![\w.,])")
# Amounts grouped with spaces ("1 234,56", "12 500.00"): the general pattern stops at a space.
_SPACED_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?(?![\d])")
# Each pattern with the formats its matches can be read in.
_DATE_PATTERNS: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b"), ("%d.%m.%Y",)),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), ("%Y-%m-%d",)),
    (re.compile(r"\b(?:19|20)\d{6}\b"), ("%Y%m%d",)),
    # Month names in the languages of European ERPs ("7. Mai 2014", "29 maart 2014",
    # "3 de marzo de 2019", "March 15, 2019"): read by dateparser (normalize.parse_date).
    (re.compile(r"\b\d{1,2}\.?\s*(?:de\s+)?[^\W\d_]{3,12}\.?\s+(?:de\s+)?\d{4}\b"), ()),
    (re.compile(r"\b[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4}\b"), ()),
]
# Day and month either way round ("01/02/2019", "8-9-2022"): the document's other dates decide.
_EITHER_WAY = re.compile(r"\b(\d{1,2})([/-])(\d{1,2})\2(\d{4})\b")
# Tax and bank ids printed in groups ("FR 604 219 388 61", "DE89 3704 0044 0532 0130 00").
_ID_START = re.compile(r"^[A-Z]{2}[0-9A-Z]*$")


@dataclass
class DocumentEvidence:
    identifiers: set[str] = field(default_factory=set)
    amounts: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    text: str = ""
    file_name: str = ""
    printed: set[str] = field(default_factory=set)  # tokens as printed (upper case), for exact formats
    checked_ids: set[str] = field(default_factory=set)  # VAT ids and IBANs with a valid checksum, compact
    text_cased: str = ""  # like ``text`` but keeping letter case
    glued: str = ""  # the raw text upper case without white space: what OCR glues ("VATIDPL658157897")
    _glued_key: str | None = field(default=None, repr=False, compare=False)

    def glued_key(self) -> str:
        """``text`` without spaces, for values OCR read without the spaces between words."""
        if self._glued_key is None:
            self._glued_key = self.text.replace(" ", "")
        return self._glued_key
    _identifier_list: list[str] | None = field(default=None, repr=False, compare=False)
    _identifier_text: str | None = field(default=None, repr=False, compare=False)

    def inside_identifier(self, key: str) -> bool:
        """``key`` is part of a longer token: OCR glues neighbours ("KRAKOW.VATIDPL658157897")."""
        if self._identifier_text is None:
            self._identifier_text = "|".join(sorted(self.identifiers))
        return key in self._identifier_text
    _amount_digits: set[str] | None = field(default=None, repr=False, compare=False)

    def amounts_digits(self) -> set[str]:
        """Short numbers (house numbers) are only in the amounts set; their digits, cached."""
        if self._amount_digits is None:
            self._amount_digits = {a.split(".")[0].lstrip("-") for a in self.amounts if a.endswith(".00")}
        return self._amount_digits

    def tokens(self) -> set[str]:
        """Blocking keys: identifiers, amounts, dates and words, tagged so they never collide."""
        return ({f"i:{t}" for t in self.identifiers} | {f"a:{t}" for t in self.amounts}
                | {f"d:{t}" for t in self.dates} | {f"w:{t}" for t in words(self.text)})


def document_evidence(text: str, file_name: str = "") -> DocumentEvidence:
    evidence = DocumentEvidence(text=text_key(text), file_name=identifier_key(file_name.rsplit(".", 1)[0]),
                                text_cased=text_key(text, keep_case=True), glued="".join(text.upper().split()))
    words = text.split()
    evidence.printed = {word.strip(".,;:()[]").upper() for word in words}
    for position, word in enumerate(words):
        key = identifier_key(word)
        if len(key) >= 3 and any(ch.isdigit() for ch in key):
            evidence.identifiers.add(key)
        if position + 1 < len(words):  # OCR splits identifiers ("RE-2019- 00123")
            pair = key + identifier_key(words[position + 1])
            if len(pair) >= 6 and any(ch.isdigit() for ch in pair):
                evidence.identifiers.add(pair)
    evidence.checked_ids = checked_identifiers(words)
    evidence.identifiers |= evidence.checked_ids
    for match in [*_NUMBER.finditer(text), *_SPACED_NUMBER.finditer(text)]:
        token = match.group(0)
        for decimal in (".", ","):
            key = money_key(token, decimal)
            if key is not None:
                evidence.amounts.add(key)
    for pattern, formats in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            for candidate in _date_readings(match.group(0), formats):
                evidence.dates.add(candidate.isoformat())
    evidence.dates |= {d.isoformat() for d in either_way_dates(text)}
    return evidence


def either_way_dates(text: str) -> list[date]:
    """Dates written ``a/b/yyyy`` or ``a-b-yyyy``, read the way the document writes dates.

    A document that prints ``20-10-2015`` somewhere writes the day first, so its ``01-02-2015``
    is the 1st of February; one that prints ``10/20/2015`` writes the month first. When nothing
    on the document decides, both readings count (matching then compares both with the ERP).
    """
    found = [(int(a), int(b), int(year)) for a, _, b, year in _EITHER_WAY.findall(text)]
    day_first = any(a > 12 >= b for a, b, _ in found)
    month_first = any(b > 12 >= a for a, b, _ in found)
    out = []
    for a, b, year in found:
        readings = []
        if day_first or not month_first:
            readings.append((year, b, a))
        if month_first or not day_first:
            readings.append((year, a, b))
        for y, m, d in readings:
            try:
                out.append(date(y, m, d))
            except ValueError:
                pass
    return out


def checked_identifiers(words: list[str], longest: int = 7) -> set[str]:
    """VAT ids and IBANs printed in groups, compact, when their checksum holds (python-stdnum).

    ``FR 604 219 388 61`` on the page is ``FR60421938861`` in the ERP: the groups are joined
    and kept only when stdnum says the result is a valid VAT number or IBAN, so joining
    neighbouring words never invents an identifier.
    """
    from stdnum import iban
    from stdnum.eu import vat

    found = set()
    keys = [identifier_key(word) for word in words]
    for start, key in enumerate(keys):
        if not _ID_START.match(key) or key[:2] not in _COUNTRIES:
            continue
        joined = key
        # Only groups of digits continue an id printed in groups ("FR 604 219 388 61"); a word
        # on its own is already among the identifiers.
        for end in range(start + 1, min(len(keys), start + longest)):
            if not keys[end] or not keys[end][0].isdigit():
                break
            joined += keys[end]
            if 8 <= len(joined) <= 34 and (vat.is_valid(joined) or iban.is_valid(joined)):
                found.add(joined)
    return found


_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE EL ES FI FR GB HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
                       "CH NO LI IS XI GR MC SM AD GI".split())


def words(text: str) -> set[str]:
    """Words that can tell documents apart (names, streets): alphabetic, four letters or more."""
    return {word for word in text_key(text).split() if len(word) >= 4 and word.isalpha()}


def _date_readings(text: str, formats: tuple[str, ...]) -> list[date]:
    if not formats:  # month names: the general parser knows them
        parsed = parse_date(text)
        return [parsed] if parsed else []
    readings = []
    for fmt in formats:
        try:
            readings.append(datetime.strptime(text, fmt).date())
        except ValueError:
            pass
    return readings


def _fuzzy_identifier(key: str, evidence: DocumentEvidence) -> float:
    """OCR noise: one or two characters off in a long identifier still counts, partly."""
    if evidence._identifier_list is None:
        evidence._identifier_list = sorted(evidence.identifiers)
    best = process.extractOne(key, evidence._identifier_list, scorer=fuzz.ratio, score_cutoff=85)
    return round(best[1] / 100, 3) if best else 0.0


def value_kind(schema: dict[str, Any]) -> str:
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "number" in types:
        return "amount"
    if "integer" in types:
        return "identifier"
    if schema.get("format") == "date":
        return "date"
    if "boolean" in types:
        return "boolean"
    return "text"


def support(value: Any, kind: str, evidence: DocumentEvidence, *, identifier: bool = False) -> float:
    """How strongly the document shows ``value``: 1.0 exactly, less for a fuzzy hit, 0 not at all."""
    if value is None or kind == "boolean":
        return 0.0
    if kind == "amount":
        key = money_key(value)
        if key in evidence.amounts:
            return 1.0
        # OCR noise ("120,094.0B"): compare the digits with the document's digit tokens.
        digits = (key or "").replace("-", "").replace(".", "")
        return _fuzzy_identifier(digits, evidence) * 0.9 if len(digits) >= 5 else 0.0
    if kind == "date":
        parsed = parse_date(value)
        return 1.0 if parsed and parsed.isoformat() in evidence.dates else 0.0
    key = identifier_key(value)
    text_value = str(value).strip()
    if key in evidence.checked_ids:
        return 1.0  # a VAT id or IBAN printed in groups: the same number, checksum and all
    if evidence.checked_ids and len(key) >= 8 and _ID_START.match(key) and key[:2] in _COUNTRIES and \
            key[:2] in {found[:2] for found in evidence.checked_ids}:
        return 0.0  # the page prints a valid id of that country and this is not it: a digit off is another id
    if identifier or kind == "identifier" or (" " not in text_value and any(ch.isdigit() for ch in key)):
        if key in evidence.identifiers:
            # The same identifier printed another way ("RE201900123" for "RE-2019-00123")
            # is the right document but the wrong label: enough to match, not to trust.
            return 1.0 if text_value.upper() in evidence.printed else PRINTED_DIFFERENTLY
        if len(key) >= 5 and key in evidence.file_name:
            return 1.0
        fuzzy = _fuzzy_identifier(key, evidence) if len(key) >= 5 else 0.0
        if len(key) >= 8 and evidence.inside_identifier(key):
            # Glued to its neighbours by OCR: as printed when the ERP's own spelling is there.
            return 1.0 if text_value.upper() in evidence.glued else max(fuzzy, PRINTED_DIFFERENTLY)
        return fuzzy
    wanted = text_key(value)
    if not wanted:
        return 0.0
    if wanted in evidence.text:
        # "Dmitri TAYLOR" for a printed "Dmitri Taylor" names the right person but is not
        # what the document says; a label must say what the document says.
        score = 1.0 if text_key(value, keep_case=True) in evidence.text_cased else PRINTED_DIFFERENTLY
    elif len(wanted) >= 8 and wanted.replace(" ", "") in evidence.glued_key():
        # OCR read the words without the spaces between them ("CuratorDemoManufacturingGmbH");
        # letter case still counts: "Maria GARCIA" is not what "MariaGarcia" says.
        cased = text_key(value, keep_case=True).replace(" ", "")
        score = GLUED if cased in evidence.text_cased.replace(" ", "") else PRINTED_DIFFERENTLY
    else:
        score = fuzz.partial_ratio(wanted, evidence.text) / 100
        score = round(score, 3) if score >= 0.8 else 0.0
    # Numbers inside text (house numbers, ZIP codes) must be there exactly: "Madison, WI 53793"
    # reads 94% like "Madison, WI 53792" but names another place.
    for number in {identifier_key(part) for part in text_value.split() if any(ch.isdigit() for ch in part)}:
        if score == GLUED:
            break  # the whole value, numbers and all, stands in the text as it is: nothing to check apart
        if number and number not in evidence.identifiers and number not in evidence.amounts_digits():
            score = min(score, _fuzzy_identifier(number, evidence) * 0.9 if len(number) >= 5 else 0.0)
    return score
