"""Evaluation metrics on hand-computed cases, and end to end against a predictions file and a
local OpenAI-compatible fake server."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from fake_chat import FakeChat

from curator.cli import app
from curator.curate.samples import extraction_samples
from curator.curate.splits import assign_splits
from curator.evaluate.metrics import (INVALID_JSON, MISSING_KEY, NULL_PREDICTION, CompareOptions, Evaluation,
                                      FieldScore, cer, equal, outcome, parse_prediction, score_document)
from curator.evaluate.runner import evaluate
from curator.samples.review_load import populate_for_review
from curator.schemas import builtin_schema
from curator.store.models import Document

W2 = builtin_schema("w2")


def test_outcomes_and_comparison_rules():
    assert [outcome("A", "A"), outcome("A", "B"), outcome(None, "B"), outcome("A", None), outcome(None, None),
            outcome("", "  ")] == ["TP", "FD", "FA", "FN", "TN", "TN"]
    assert equal(100.0, 100.05) and not equal(100.0, 100.2)  # 0.1% relative tolerance
    assert equal(0, 0.05) and not equal(0, 0.2)  # |pred| < 0.1 when the truth is 0
    assert equal(1234.5, "1234.50") and not equal(1234.5, "abc")
    assert not equal("02134", "2134")  # strings are strings
    assert not equal("ACME Corp", "acme corp") and equal("ACME Corp", "acme  corp", CompareOptions(ignore_case=True))
    assert equal("ACME  Corp", "ACME Corp") and not equal("ACME  Corp", "ACME Corp", CompareOptions(
        collapse_whitespace=False))
    assert cer("ABCD", "ABXD") == 0.25 and cer("ABCD", None) == 1.0 and cer(None, "x") is None
    assert parse_prediction('```json\n{"a": 1}\n```') == ({"a": 1}, None)
    assert parse_prediction("[1, 2]")[0] is None and parse_prediction("{oops")[1].startswith("invalid JSON")


def test_precision_recall_f1_accuracy_by_hand():
    score = FieldScore()
    for kind in ("TP", "TP", "FD", "FA", "FN", "TN"):
        score.add(kind, kind in ("TP", "TN"), None)
    summary = score.summary()
    assert summary["precision"] == pytest.approx(2 / 4)  # TP / (TP + FD + FA)
    assert summary["recall"] == pytest.approx(2 / 3)  # TP / (TP + FN)
    assert summary["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert summary["accuracy"] == pytest.approx(3 / 6)  # (TP + TN) / all
    assert FieldScore().summary()["f1"] is None  # nothing seen: no made-up zeros


def _w2_truth() -> dict:
    return {"employee": {"ssn": "987-65-4321", "name": "Ana Lee", "address": None, "cityStateZip": None},
            "multiStateEmployment": [{"state": "CA", "stateWages": 100.0}, {"state": "NY", "stateWages": 50.0}]}


def test_nested_objects_state_rows_nulls_and_invalid_json():
    evaluation = Evaluation()
    prediction = {"employee": {"ssn": "987-65-4321", "name": "ANA LEE", "address": "1 Main St"},
                  "multiStateEmployment": [{"state": "CA", "stateWages": 100.05}, {"state": "NJ", "stateWages": None}],
                  "bogus": 1}
    score_document(evaluation, W2, "doc-1", _w2_truth(), json.dumps(prediction))
    score_document(evaluation, W2, "doc-2", _w2_truth(), "Sorry, I cannot read this form.")
    result = evaluation.to_dict(W2)
    fields = result["fields"]
    assert fields["employee.ssn"]["TP"] == 1 and fields["employee.ssn"]["FN"] == 1  # doc-2 invalid: FN
    assert fields["employee.name"]["FD"] == 1  # case matters by default
    assert fields["employee.address"]["FA"] == 1 and fields["employee.cityStateZip"]["TN"] == 2
    assert fields["multiStateEmployment[].state"]["TP"] == 1 and fields["multiStateEmployment[].state"]["FD"] == 1
    assert fields["multiStateEmployment[].stateWages"]["TP"] == 1  # 100.05 within 0.1% of 100
    assert fields["multiStateEmployment[].stateWages"]["FN"] == 3  # row 2 null, and doc-2
    assert result["invalid_json"] == 1 and result["invalid_json_rate"] == 0.5
    assert result["extra_keys"] == 1 and result["missing_keys"] == len(W2["properties"]) - 2
    assert "employee" in result["categories"] and result["overall"]["n"] == sum(
        f["n"] for f in fields.values())
    codes = {(c["document"], c["field"]): c["value"] for c in evaluation.cells}
    assert codes[("doc-2", "employee.ssn")] == INVALID_JSON
    assert codes[("doc-1", "employee.name")] == 4  # edit distance "Ana Lee" -> "ANA LEE"
    assert codes[("doc-1", "multiStateEmployment[].stateWages")] in (NULL_PREDICTION, 4)
    missing = Evaluation()
    score_document(missing, W2, "doc-3", _w2_truth(), json.dumps({"employee": {"ssn": "987-65-4321"}}))
    assert {c["value"] for c in missing.cells if c["field"].startswith("multiState")} == {MISSING_KEY}


@pytest.fixture
def evaluated(tmp_path):
    from curator.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws")
    populate_for_review(ws, 60, seed=4)
    assign_splits(ws, seed=2, ratios={"train": 0.5, "validation": 0.1, "test": 0.4}, actor="admin")
    yield ws
    ws.close()


def _test_samples(ws):
    return [s for s in extraction_samples(ws, "invoice", builtin_schema("invoice")) if s.split == "test"]


def test_predictions_file_end_to_end(evaluated, tmp_path):
    ws = evaluated
    samples = _test_samples(ws)
    with ws.session() as session:
        names = dict(session.exec(select(Document.sha256, Document.file_name)).all())
    lines = []
    for index, sample in enumerate(samples):
        truth = json.loads(sample.answer)
        if index == 0:
            lines.append({"file": names[sample.document], "prediction": "not json at all"})
            continue
        if index % 2:
            truth["total"] = (truth["total"] or 0) + 10
        lines.append({"document": sample.document, "prediction": truth if index % 3 else json.dumps(truth)})
    path = tmp_path / "predictions.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = CliRunner().invoke(app, ["-w", str(ws.root), "evaluate", "--model", f"predictions:{path}",
                                      "--schema", "invoice", "--name", "tuned", "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == len(samples) and metrics["invalid_json"] == 1
    total = metrics["fields"]["total"]
    wrong = sum(1 for i in range(1, len(samples)) if i % 2)
    assert total["FD"] == wrong and total["TP"] == len(samples) - 1 - wrong and total["FN"] == 1
    assert metrics["fields"]["invoice_number"]["accuracy"] == pytest.approx((len(samples) - 1) / len(samples))


def test_openai_compatible_model_resumes_and_compares(evaluated, tmp_path):
    ws = evaluated
    samples = _test_samples(ws)
    # An endpoint that answers every document with the first one's invoice (in a code fence),
    # and throttles the first request.
    fake = FakeChat("```json\n" + samples[0].answer + "\n```", usage=(1895, 411))
    fake.fail_next = [429]
    from curator.teach.base import Price

    base = evaluate(ws, f"openai:{fake.url}#qwen-base", schema_name="invoice", name="base", concurrency=2,
                    backoff=0.01, price=Price(0.00006, 0.00024), actor="admin")
    assert len(fake.bodies) == len(samples) + 1  # one 429, retried
    assert fake.bodies[-1]["messages"][0]["role"] == "system" and "Extract these keys as JSON" in \
        fake.bodies[-1]["messages"][1]["content"][-1]["text"]
    assert base["overall"]["accuracy"] < 1 and base["invalid_json"] == 0
    assert base["cost_per_page_usd"] == pytest.approx((1895 * 0.00006 + 411 * 0.00024) / 1000, rel=1e-6)
    again = evaluate(ws, f"openai:{fake.url}#qwen-base", schema_name="invoice", name="base", actor="admin")
    assert len(fake.bodies) == len(samples) + 1 and again["overall"] == base["overall"]  # resumed: nothing asked
    path = tmp_path / "tuned.jsonl"
    path.write_text("\n".join(json.dumps({"document": s.document, "prediction": json.loads(s.answer)})
                              for s in samples))
    tuned = evaluate(ws, f"predictions:{path}", schema_name="invoice", name="tuned", actor="admin")
    assert tuned["overall"]["f1"] == 1.0
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["-w", str(ws.root), "evaluate", "compare", "base", "tuned", "--out", str(out)])
    assert result.exit_code == 0, result.output
    markdown = (out / "comparison.md").read_text()
    assert "| amounts | f1 |" in markdown and "| overall | accuracy |" in markdown
    for name in ("f1_by_category.png", "heatmap_base.png", "heatmap_fine_tuned.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert "<table>" in (out / "comparison.html").read_text()
    listed = json.loads(CliRunner().invoke(app, ["-w", str(ws.root), "evaluate", "list", "--json"]).stdout)
    assert [r["name"] for r in listed] == ["base", "tuned"]
    fake.close()


def test_evaluation_page(evaluated, tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from curator.review.users import add_user

    ws = evaluated
    samples = _test_samples(ws)
    for name, shift in (("base", 10.0), ("tuned", 0.0)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps({"document": s.document, "prediction": {
            **json.loads(s.answer), "total": (json.loads(s.answer)["total"] or 0) + shift}}) for s in samples))
        evaluate(ws, f"predictions:{path}", schema_name="invoice", name=name, actor="admin")
    add_user(ws, "vic", "viewer", "correct horse battery", by="admin")
    monkeypatch.setenv("CURATOR_WORKSPACE", str(ws.root))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "review_app.py"), default_timeout=60).run()
    at.text_input(key="login_name").input("vic")
    at.text_input(key="login_password").input("correct horse battery")
    at.button[0].click().run()
    at.sidebar.radio(key="nav").set_value("Evaluation").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 2  # F1 per category, heat map
    table = at.dataframe[1].value
    amounts = table[(table["category"] == "amounts") & (table["metric"] == "accuracy")].iloc[0]
    assert amounts["fine_tuned"] > amounts["base"]


def test_bad_input_is_quarantined_and_the_rest_goes_on(evaluated, tmp_path):
    """Unusable prediction lines and failed model calls are quarantined with where and why; the
    rest is scored; a failed call is asked again on the next run, an answered one never."""
    from curator.catalog import quarantined

    ws = evaluated
    samples = _test_samples(ws)
    lines = [json.dumps({"document": s.document, "prediction": json.loads(s.answer)}) for s in samples[1:]]
    lines += ["not json", json.dumps({"file": "nowhere.pdf", "prediction": {}}), json.dumps({"prediction": {}})]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines))
    result = CliRunner().invoke(app, ["-w", str(ws.root), "evaluate", "--model", f"predictions:{path}",
                                      "--schema", "invoice", "--name", "mixed", "--json"])
    assert result.exit_code == 1, result.output
    metrics = json.loads(result.stdout)
    assert [p["reason"] for p in metrics["problems"]] == ["not_json", "unknown_document", "incomplete"]
    assert metrics["problems"][0]["source"] == f"{path}:{len(samples)}"
    assert metrics["documents"] == len(samples) and metrics["unanswered"] == 1
    assert {e.reason for e in quarantined(ws, "evaluate")} == {"not_json", "unknown_document", "incomplete"}

    fake = FakeChat("```json\n" + samples[0].answer + "\n```")
    fake.fail_next = [400]  # refused: not retried, quarantined
    first = evaluate(ws, f"openai:{fake.url}#m", schema_name="invoice", name="flaky", concurrency=1, actor="admin")
    assert len(fake.bodies) == len(samples) and [p["reason"] for p in first["problems"]] == ["model_refused"]
    assert first["unanswered"] == 1
    second = evaluate(ws, f"openai:{fake.url}#m", schema_name="invoice", name="flaky", actor="admin")
    assert len(fake.bodies) == len(samples) + 1  # only the failed document again
    assert second["problems"] == [] and second["unanswered"] == 0
    fake.close()
    with pytest.raises(ValueError, match="--model must be"):
        evaluate(ws, "gpt5", schema_name="invoice", name="nothing", actor="admin")
    assert "nothing" not in [r["name"] for r in json.loads(CliRunner().invoke(
        app, ["-w", str(ws.root), "evaluate", "list", "--json"]).stdout)]
