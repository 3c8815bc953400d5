"""Are the demo's datasets true? Every exported answer against the corpus ground truth.

Runs on a demo directory (``make demo`` writes ``demo-output/``):

- for every export, through its ``samples.jsonl``: how many values the documents print, and
  how many of them are exported as null / empty / a shorter list (goal: at most 1%, over at
  least 20 documents and 400 printed values), and how many differ;
- the ground truth fed back as predictions on the test split: F1 per scored field (goal: 1.0
  on every field that is scored).

    .venv/bin/python bench/dataset_truth.py [--demo demo-output]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curator.access import LOCAL_ADMIN  # noqa: E402
from curator.evaluate.runner import evaluate  # noqa: E402
from curator.samples.truth_check import check_export, truth_labels  # noqa: E402
from curator.workspace import open_workspace  # noqa: E402

CASES = (("w2", "w2"), ("invoices", "invoice"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", type=Path, default=Path("demo-output"))
    args = parser.parse_args()
    workspace = open_workspace(args.demo / "workspace")
    results: dict[str, dict] = {"exports": {}, "ground_truth_as_predictions": {}}
    printed = missing = documents = 0
    for kind, schema_name in CASES:
        truth_dir = args.demo / "corpus" / kind / "truth"
        for folder in sorted((workspace.root / "exports").glob(f"*-extraction-{schema_name}")):
            checked = check_export(folder, truth_dir)
            results["exports"][folder.name] = checked
            if folder.name.startswith("swift"):
                printed += checked["printed_values"]
                missing += checked["exported_missing"]
                documents += checked["documents"]
        truths = truth_labels(truth_dir)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            for file_name, label in truths.items():
                handle.write(json.dumps({"file": file_name, "prediction": label}) + "\n")
        run = evaluate(workspace, f"predictions:{handle.name}", actor=LOCAL_ADMIN, schema_name=schema_name,
                       name=f"ground-truth-{schema_name}")
        f1 = {leaf: metrics["f1"] for leaf, metrics in run["fields"].items() if metrics.get("f1") is not None}
        results["ground_truth_as_predictions"][schema_name] = {
            "documents": run["documents"], "fields_scored": len(f1), "min_f1": min(f1.values(), default=None),
            "below_1": {leaf: value for leaf, value in f1.items() if value < 1.0},
            "skipped_unknown": run["skipped_unknown"], "fields_not_scored": run["fields_not_scored"]}
    results["totals"] = {"documents": documents, "printed_values": printed, "exported_missing": missing,
                         "missing_rate": round(missing / printed, 4) if printed else None}
    workspace.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
