"""The demo's datasets are true: compared with the corpus ground truth through samples.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.access import LOCAL_ADMIN
from curator.demo import run_demo
from curator.evaluate.runner import evaluate
from curator.samples.truth_check import check_export, truth_labels
from curator.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    return root, run_demo(root / "demo", n=30, seed=7, workers=1)


def test_exported_answers_never_say_absent_for_a_printed_value(demo):
    tmp_path, report = demo
    printed = missing = documents = 0
    for kind, schema_name in (("w2", "w2"), ("invoices", "invoice")):
        for fmt in ("swift", "bedrock-nova"):
            folder = Path(report.exports[f"{fmt}/{schema_name}"]["folder"])
            checked = check_export(folder, tmp_path / "demo" / "corpus" / kind / "truth")
            assert checked["untraced_lines"] == 0
            assert checked["shorter_lists"] == 0 and checked["different"] == 0, checked
            if fmt == "swift":
                printed += checked["printed_values"]
                missing += checked["exported_missing"]
                documents += checked["documents"]
        # The demo says which fields it left out, and why.
        assert report.fields[schema_name]["left_out"] and report.fields[schema_name]["how_to_fill"]
    assert documents >= 20 and printed >= 400
    assert missing <= 0.01 * printed, (missing, printed)


def test_the_ground_truth_as_predictions_scores_f1_one(demo, tmp_path):
    root, _report = demo
    workspace = open_workspace(root / "demo" / "workspace")
    for kind, schema_name in (("w2", "w2"), ("invoices", "invoice")):
        predictions = tmp_path / f"{schema_name}.jsonl"
        predictions.write_text("".join(json.dumps({"file": name, "prediction": label}) + "\n" for name, label
                                       in truth_labels(root / "demo" / "corpus" / kind / "truth").items()))
        run = evaluate(workspace, f"predictions:{predictions}", actor=LOCAL_ADMIN, schema_name=schema_name,
                       name=f"truth-{schema_name}")
        scored = {leaf: metrics["f1"] for leaf, metrics in run["fields"].items() if metrics["f1"] is not None}
        assert run["documents"] > 0 and scored
        assert all(f1 == 1.0 for f1 in scored.values()), scored
        assert run["fields_not_scored"]  # the unknown fields are not scored, and are named
    workspace.close()
