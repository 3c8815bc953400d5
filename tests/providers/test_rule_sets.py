"""The published evaluations' rules, pinned on hand-computed cases."""

from __future__ import annotations

import json

import pytest

from curator.evaluate.rules import flatten_underscore, nova_equal, score_doc2json, score_nova_w2
from curator.schemas import builtin_schema

W2 = builtin_schema("w2")


@pytest.mark.parametrize("truth,prediction,equal", [
    (121536.17, 121536.17, True),
    (1000.0, 1000.99, True),          # 0.099%: inside
    (1000.0, 1001.0, False),          # exactly 0.1%: the sample's test is strict (< 0.1%)
    (0, 0.09, True), (0, 0.1, False),  # |pred| < 0.1 when the truth is 0
    (121536.17, "121,536.17", False),  # a number written as text is text
    ("121,536.17", "121,536.17", True),
    ("Acme Corp", "Acme  Corp", False),  # strings exactly: no white-space folding
    ("Acme Corp", "acme corp", False),
    (None, None, True), (None, "", False), (None, 0, False),  # "" against a null truth is an error
    (True, True, True), (True, 1, False),
    ([{"code": "D", "amount": 500.0}, {"code": "E", "amount": 1.0}],
     [{"code": "D", "amount": 500.0}, {"code": "E", "amount": 1.0}], True),
    ([{"code": "D", "amount": 500.0}, {"code": "E", "amount": 1.0}],
     [{"code": "D", "amount": 500.0}], False),  # a list is one value: one row missing, all wrong
])
def test_nova_w2_equality(truth, prediction, equal):
    assert nova_equal(truth, prediction) is equal


def test_nova_w2_accuracy_per_category_by_hand():
    truth = {"employee": {"name": "Ann Lee", "ssn": "912-34-5678"},
             "employer": {"name": "Acme", "ein": "12-3456789", "controlNumber": None},
             "multiStateEmployment": [{"state": "CA", "stateWages": 100.0}]}
    prediction = {"employee": {"name": "Ann  Lee", "ssn": "912-34-5678"},   # 1 of 2
                  "employer": {"name": "Acme", "ein": "12-3456789", "controlNumber": ""},  # 2 of 3
                  "multiStateEmployment": [{"state": "CA", "stateWages": 100.05}],  # 0.05%: 1 of 1
                  "extra": "x"}  # an extra key: compared, wrong
    assert flatten_underscore(truth)["employer_controlNumber"] is None
    scored = score_nova_w2(W2, [(truth, prediction), (truth, None)])
    categories = scored["categories"]
    # employee: 1 right of 2 compared + 2 compared for the invalid answer = 1/4
    assert categories["employee"] == {"accuracy": 0.25, "compared": 4}
    assert categories["employer"] == {"accuracy": 2 / 6, "compared": 6}
    assert categories["multi_state"]["accuracy"] == 0.5
    assert scored["fields"]["extra"] == {"accuracy": 0.0, "compared": 1}
    assert scored["invalid_json"] == 1 and scored["rules"] == "nova-w2-sample"


def test_doc2json_exact_match_cer_and_rouge_by_hand():
    truth = {"seller": "Cable ties 300mm", "total": 12.5, "note": None}
    prediction = {"seller": "Cable ties 300 mm", "total": 12.5, "note": None}
    scored = score_doc2json([(truth, prediction), (truth, None)])
    seller = scored["fields"]["seller"]
    assert seller["exact_match"] == 0.0 and seller["n"] == 2
    # CER: one inserted space of 16 characters, then the whole string missing: (1/16 + 1) / 2
    assert seller["cer"] == pytest.approx((1 / 16 + 1) / 2)
    # ROUGE-1 F: tokens {cable, ties, 300mm} vs {cable, ties, 300, mm}: P 2/4, R 2/3 -> 4/7; then 0
    assert seller["rouge1"] == pytest.approx((4 / 7 + 0) / 2)
    assert scored["fields"]["total"]["exact_match"] == 0.5 and scored["fields"]["note"]["exact_match"] == 1.0
    assert scored["invalid_json_rate"] == 0.5


def test_evaluate_names_its_rule_set(tmp_path):
    from curator.evaluate.runner import evaluate
    from curator.samples.review_load import populate_for_review
    from curator.curate.splits import assign_splits
    from curator.workspace import init_workspace
    from curator.curate.samples import extraction_samples

    ws = init_workspace(tmp_path / "ws")
    populate_for_review(ws, 30, seed=2)
    assign_splits(ws, actor="admin", seed=1)
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps({"document": s.document, "prediction": json.loads(s.answer)}) + "\n"
                             for s in extraction_samples(ws, "invoice", builtin_schema("invoice")) if s.split == "test"))
    for rules in ("nova-w2-sample", "doc2json-sample"):
        run = evaluate(ws, f"predictions:{truth}", actor="admin", schema_name="invoice", name=f"t-{rules}", rules=rules)
        assert run["rules"] == rules and run["rule_set"]["rules"] == rules
        if rules == "nova-w2-sample":
            assert all(c["accuracy"] == 1.0 for c in run["rule_set"]["categories"].values())
        else:
            assert all(m["exact_match"] == 1.0 and m["rougeL"] == 1.0 for m in run["rule_set"]["fields"].values())
    ws.close()
