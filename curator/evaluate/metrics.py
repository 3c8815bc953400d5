"""Field-level metrics as the seeds report them.

Per field, each document is one of (definitions of the AWS IDP Accelerator, used by the Nova
W-2 post):

- TP: a non-empty prediction equal to the expected value;
- FD: a non-empty prediction that differs from a non-empty expected value;
- FA: a value predicted where none was expected;
- FN: nothing predicted where a value was expected;
- TN: nothing predicted and nothing expected.

Precision = TP / (TP + FD + FA), recall = TP / (TP + FN), F1 = 2PR / (P + R), accuracy =
(TP + TN) / all. Numbers are equal within a relative tolerance (0.1% by default; a prediction
under 0.1 counts as 0 when 0 is expected); strings after the chosen normalisation (case, white
space). Nested objects are compared leaf by leaf (``employee.ssn``) and lists of rows row by row
(``multiStateEmployment[1].state``). An answer that is not JSON predicts nothing; missing and
extra keys are counted. Character error rate is the edit distance over the expected text's
length.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from curator.labels.compare import flatten
from curator.labels.paths import generic
from curator.labels.paths import leaf_paths

OUTCOMES = ("TP", "FD", "FA", "FN", "TN")


@dataclass(frozen=True)
class CompareOptions:
    tolerance: float = 0.001
    ignore_case: bool = False
    collapse_whitespace: bool = True


def parse_prediction(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The model's answer as a JSON object, or None and why (a code fence around it is fine)."""
    if isinstance(raw, dict):
        return raw, None
    if not isinstance(raw, str):
        return None, f"not JSON text: {type(raw).__name__}"
    text = raw.strip()
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fence:
        text = fence.group(1)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at {exc.pos}"
    if not isinstance(value, dict):
        return None, "the JSON is not an object"
    return value, None


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None


def _text(value: Any, options: CompareOptions) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    if options.collapse_whitespace:
        text = " ".join(text.split())
    if options.ignore_case:
        text = text.casefold()
    return text


def equal(expected: Any, predicted: Any, options: CompareOptions = CompareOptions()) -> bool:
    """Numbers (the expected value is a JSON number) within the relative tolerance; everything
    else as text after the normalisation options (so "02134" never equals "2134")."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        guess = _number(predicted)
        if guess is None:
            return False
        if expected == 0:
            return abs(guess) < 0.1
        return abs(float(expected) - guess) <= options.tolerance * abs(float(expected))
    return _text(expected, options) == _text(predicted, options)


def outcome(expected: Any, predicted: Any, options: CompareOptions = CompareOptions()) -> str:
    if is_empty(expected):
        return "TN" if is_empty(predicted) else "FA"
    if is_empty(predicted):
        return "FN"
    return "TP" if equal(expected, predicted, options) else "FD"


def cer(expected: Any, predicted: Any) -> float | None:
    """Character error rate of one value (None when nothing was expected)."""
    if is_empty(expected):
        return None
    truth = _text(expected, CompareOptions())
    guess = "" if is_empty(predicted) else _text(predicted, CompareOptions())
    return Levenshtein.distance(truth, guess) / max(1, len(truth))


@dataclass
class FieldScore:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    exact: int = 0
    cer_sum: float = 0.0
    cer_n: int = 0

    def add(self, kind: str, exact: bool, error_rate: float | None) -> None:
        self.counts[kind] += 1
        self.exact += int(exact)
        if error_rate is not None:
            self.cer_sum += error_rate
            self.cer_n += 1

    def merge(self, other: "FieldScore") -> None:
        for key in OUTCOMES:
            self.counts[key] += other.counts[key]
        self.exact += other.exact
        self.cer_sum += other.cer_sum
        self.cer_n += other.cer_n

    def summary(self) -> dict[str, Any]:
        c = self.counts
        total = sum(c.values())
        precision = c["TP"] / (c["TP"] + c["FD"] + c["FA"]) if c["TP"] + c["FD"] + c["FA"] else None
        recall = c["TP"] / (c["TP"] + c["FN"]) if c["TP"] + c["FN"] else None
        f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (
            0.0 if precision is not None and recall is not None else None)
        return {**c, "n": total, "accuracy": (c["TP"] + c["TN"]) / total if total else None,
                "precision": precision, "recall": recall, "f1": f1,
                "exact_match": self.exact / total if total else None,
                "cer": self.cer_sum / self.cer_n if self.cer_n else None}


def category_of(schema: dict[str, Any], path: str) -> str:
    top = path.split(".")[0].split("[")[0]
    return schema.get("properties", {}).get(top, {}).get("x-category", top)


@dataclass
class Evaluation:
    documents: int = 0
    invalid_json: int = 0
    missing_keys: int = 0
    extra_keys: int = 0
    fields: dict[str, FieldScore] = field(default_factory=lambda: defaultdict(FieldScore))
    # Per document and field: the edit distance (or a code) for the heat map.
    cells: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, schema: dict[str, Any]) -> dict[str, Any]:
        categories: dict[str, FieldScore] = defaultdict(FieldScore)
        overall = FieldScore()
        for path, score in self.fields.items():
            categories[category_of(schema, path)].merge(score)
            overall.merge(score)
        return {"documents": self.documents, "invalid_json": self.invalid_json,
                "invalid_json_rate": self.invalid_json / self.documents if self.documents else None,
                "missing_keys": self.missing_keys, "extra_keys": self.extra_keys,
                "overall": overall.summary(),
                "categories": {name: s.summary() for name, s in sorted(categories.items())},
                "fields": {path: s.summary() for path, s in sorted(self.fields.items())}}


# Heat-map codes for cells that have no edit distance.
INVALID_JSON, MISSING_KEY, NULL_PREDICTION, NO_TRUTH = "invalid JSON", "missing key", "null prediction", "no truth"


def score_document(evaluation: Evaluation, schema: dict[str, Any], document: str, expected: dict[str, Any],
                   raw_prediction: Any, options: CompareOptions = CompareOptions()) -> None:
    """Add one document's comparison to ``evaluation``."""
    evaluation.documents += 1
    predicted, problem = parse_prediction(raw_prediction)
    if predicted is None:
        evaluation.invalid_json += 1
    truth = flatten(expected)
    guess = flatten(predicted or {})
    top_expected = set(schema.get("properties", {}))
    if predicted is not None:
        evaluation.missing_keys += len(top_expected - set(predicted))
        evaluation.extra_keys += len(set(predicted) - top_expected)
    paths = set(truth) | {p for p in guess if generic(p).split("[")[0].split(".")[0] in top_expected}
    known_leaves = {p for p in leaf_paths(schema)}
    for path in sorted(paths):
        if generic(path) not in known_leaves and path not in known_leaves:
            continue
        expected_value, predicted_value = truth.get(path), guess.get(path)
        kind = outcome(expected_value, predicted_value, options)
        exact = _text(expected_value, CompareOptions(0, False, False)) == _text(
            predicted_value, CompareOptions(0, False, False))
        rate = cer(expected_value, predicted_value)
        evaluation.fields[generic(path)].add(kind, exact, rate)
        if predicted is None:
            cell: Any = INVALID_JSON
        elif is_empty(expected_value) and not is_empty(predicted_value):
            cell = NO_TRUTH
        elif path not in guess and path.split(".")[0].split("[")[0] not in predicted:
            cell = MISSING_KEY
        elif is_empty(predicted_value) and not is_empty(expected_value):
            cell = NULL_PREDICTION
        else:
            cell = 0 if is_empty(expected_value) else Levenshtein.distance(
                _text(expected_value, options), "" if is_empty(predicted_value) else _text(predicted_value, options))
        evaluation.cells.append({"document": document, "field": generic(path), "value": cell})


def to_jsonable(evaluation: Evaluation, schema: dict[str, Any]) -> dict[str, Any]:
    return {**evaluation.to_dict(schema), "cells": evaluation.cells}

