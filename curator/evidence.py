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

_NUMBER = re.compile(r"(?<![\w])[-(]?\d[\d.,']*\d\)?-?(?![\w])|(?<![\w.,])\d(?![\w.,])")
# Each pattern with the formats its matches can be read in (a slash date either way round).
_DATE_PATTERNS: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b"), ("%d.%m.%Y",)),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"), ("%m/%d/%Y", "%d/%m/%Y")),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), ("%Y-%m-%d",)),
    (re.compile(r"\b(?:19|20)\d{6}\b"), ("%Y%m%d",)),
    (re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}\b"), ()),
    (re.compile(r"\b[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}\b"), ()),
]


@dataclass
class DocumentEvidence:
    identifiers: set[str] = field(default_factory=set)
    amounts: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    text: str = ""
    file_name: str = ""
    printed: set[str] = field(default_factory=set)  # tokens as printed (upper case), for exact formats
    text_cased: str = ""  # like ``text`` but keeping letter case
    _identifier_list: list[str] | None = field(default=None, repr=False, compare=False)
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
                                text_cased=text_key(text, keep_case=True))
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
    for match in _NUMBER.finditer(text):
        token = match.group(0)
        for decimal in (".", ","):
            key = money_key(token, decimal)
            if key is not None:
                evidence.amounts.add(key)
    for pattern, formats in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            for candidate in _date_readings(match.group(0), formats):
                evidence.dates.add(candidate.isoformat())
    return evidence


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
    if identifier or kind == "identifier" or (" " not in text_value and any(ch.isdigit() for ch in key)):
        if key in evidence.identifiers:
            # The same identifier printed another way ("RE201900123" for "RE-2019-00123")
            # is the right document but the wrong label: enough to match, not to trust.
            return 1.0 if text_value.upper() in evidence.printed else PRINTED_DIFFERENTLY
        if len(key) >= 5 and key in evidence.file_name:
            return 1.0
        return _fuzzy_identifier(key, evidence) if len(key) >= 5 else 0.0
    wanted = text_key(value)
    if not wanted:
        return 0.0
    if wanted in evidence.text:
        # "Dmitri TAYLOR" for a printed "Dmitri Taylor" names the right person but is not
        # what the document says; a label must say what the document says.
        score = 1.0 if text_key(value, keep_case=True) in evidence.text_cased else PRINTED_DIFFERENTLY
    else:
        score = fuzz.partial_ratio(wanted, evidence.text) / 100
        score = round(score, 3) if score >= 0.8 else 0.0
    # Numbers inside text (house numbers, ZIP codes) must be there exactly: "Madison, WI 53793"
    # reads 94% like "Madison, WI 53792" but names another place.
    for number in {identifier_key(part) for part in text_value.split() if any(ch.isdigit() for ch in part)}:
        if number and number not in evidence.identifiers and number not in evidence.amounts_digits():
            score = min(score, _fuzzy_identifier(number, evidence) * 0.9 if len(number) >= 5 else 0.0)
    return score
