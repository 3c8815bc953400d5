"""Comparison rule sets that reproduce the published evaluations, beside Curator's own.

Numbers in a post are only comparable with numbers computed the same way. Two public
samples evaluate document extraction differently from Curator's defaults:

- ``nova-w2-sample`` -- the Nova W-2 fine-tuning sample behind the per-category accuracy table
  (e.g. employer information 58.67% -> 92.67%): nested objects flattened with ``_``; a list
  (state rows, box 12) compared as one whole value; strings exactly (no white-space folding);
  numbers equal when the relative error is strictly under 0.1% (``|pred| < 0.1`` when the truth
  is 0); a number written as text is compared as text; ``""`` or a missing key against a null
  truth is an error, as is any missing or extra key. Accuracy per category.
- ``doc2json-sample`` -- the ms-swift document-to-JSON sample: per key exact match, character
  error rate and ROUGE-1/2/L (F-measure, Google's ``rouge-score``), and the invalid-JSON rate.

``curator`` (the default) is ``evaluate.metrics``. Each report names the rule set it used.

>>> scored = score_nova_w2(schema, [(truth, prediction), ...])
>>> scored["categories"]["employer"]["accuracy"]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

RULE_SETS = ("curator", "nova-w2-sample", "doc2json-sample")
_MISSING = object()


def flatten_underscore(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects flattened with ``_``; lists stay whole values."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}_{key}" if prefix else str(key)
        if isinstance(item, Mapping):
            out.update(flatten_underscore(item, name))
        else:
            out[name] = item
    return out


def nova_equal(truth: Any, prediction: Any) -> bool:
    """The W-2 sample's equality of one value."""
    if prediction is _MISSING:
        return False
    if truth is None:
        return prediction is None  # "" or any value against a null truth is an error
    if isinstance(truth, bool) or isinstance(prediction, bool):
        return truth is prediction
    if isinstance(truth, (int, float)) and isinstance(prediction, (int, float)):
        if truth == 0:
            return abs(prediction) < 0.1
        return abs(prediction - truth) / abs(truth) < 0.001  # strictly under 0.1%
    if isinstance(truth, list) or isinstance(prediction, list):
        return isinstance(truth, list) and isinstance(prediction, list) and len(truth) == len(prediction) and all(
            _whole_equal(a, b) for a, b in zip(truth, prediction))
    return str(truth) == str(prediction) if isinstance(truth, str) and isinstance(prediction, str) else False


def _whole_equal(truth: Any, prediction: Any) -> bool:
    if isinstance(truth, Mapping) and isinstance(prediction, Mapping):
        return set(truth) == set(prediction) and all(nova_equal(truth[k], prediction[k]) for k in truth)
    return nova_equal(truth, prediction)


def _category(schema: Mapping[str, Any], key: str) -> str:
    properties = schema.get("properties", {})
    for top, prop in properties.items():
        if key == top or key.startswith(top + "_"):
            return prop.get("x-category", top)
    return key.split("_")[0]


def score_nova_w2(schema: Mapping[str, Any], pairs: Iterable[tuple[dict[str, Any], dict[str, Any] | None]]
                  ) -> dict[str, Any]:
    """Per category and field: accuracy as the W-2 sample computes it (correct / compared)."""
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    invalid = documents = 0
    for truth, prediction in pairs:
        documents += 1
        flat_truth = flatten_underscore(truth)
        if prediction is None:
            invalid += 1
            for key in flat_truth:
                per_field[key][1] += 1
            continue
        flat_prediction = flatten_underscore(prediction)
        for key in set(flat_truth) | set(flat_prediction):
            per_field[key][1] += 1
            if key in flat_truth and nova_equal(flat_truth[key], flat_prediction.get(key, _MISSING)):
                per_field[key][0] += 1  # an extra key is never right
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, (right, total) in per_field.items():
        category = categories[_category(schema, key)]
        category[0] += right
        category[1] += total
    return {"rules": "nova-w2-sample", "documents": documents, "invalid_json": invalid,
            "fields": {key: {"accuracy": right / total if total else None, "compared": total}
                       for key, (right, total) in sorted(per_field.items())},
            "categories": {name: {"accuracy": right / total if total else None, "compared": total}
                           for name, (right, total) in sorted(categories.items())}}


def score_doc2json(pairs: Iterable[tuple[dict[str, Any], dict[str, Any] | None]]) -> dict[str, Any]:
    """Per key: exact match, CER and ROUGE-1/2/L F-measures, as the document-to-JSON sample reports."""
    from rapidfuzz.distance import Levenshtein
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    invalid = documents = 0
    for truth, prediction in pairs:
        documents += 1
        flat_truth = flatten_underscore(truth)
        flat_prediction = flatten_underscore(prediction) if prediction is not None else {}
        invalid += prediction is None
        for key, expected in flat_truth.items():
            got = flat_prediction.get(key)
            expected_text = "" if expected is None else _as_text(expected)
            got_text = "" if got is None else _as_text(got)
            stats = sums[key]
            stats["n"] += 1
            stats["exact_match"] += expected_text == got_text
            stats["cer"] += Levenshtein.distance(expected_text, got_text) / max(1, len(expected_text))
            if expected_text or got_text:
                rouge = scorer.score(expected_text, got_text)
                for name in ("rouge1", "rouge2", "rougeL"):
                    stats[name] += rouge[name].fmeasure
            else:
                for name in ("rouge1", "rouge2", "rougeL"):
                    stats[name] += 1.0  # nothing expected, nothing given: a perfect match
    return {"rules": "doc2json-sample", "documents": documents, "invalid_json": invalid,
            "invalid_json_rate": invalid / documents if documents else None,
            "fields": {key: {metric: stats[metric] / stats["n"] for metric in
                             ("exact_match", "cer", "rouge1", "rouge2", "rougeL")} | {"n": int(stats["n"])}
                       for key, stats in sorted(sums.items())}}


def _as_text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)
