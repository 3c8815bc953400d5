"""Bootstrap quality on the synthetic corpora with scan noise: matching and per-field accuracy.

Generates a W-2 and an invoice corpus (30% scanned), ingests them, runs the whole
bootstrap (records, OCR, match, map) and compares with the corpus ground truth:

- matching: of the automatic links, how many are right (precision), and how many of the
  true pairs they cover (goal: >= 99.5% precise, >= 97% coverage; the rest must be
  ambiguous or unmatched, never silently wrong);
- mapping: per field, right / wrong / gap / flagged suspect.

    .venv/bin/python bench/bootstrap_quality.py [--n 300] [--noise 0.3] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.documents import FolderSource  # noqa: E402
from curator.mapping.accuracy import bootstrap_accuracy  # noqa: E402
from curator.pipeline import bootstrap  # noqa: E402
from curator.mapping.rules import load_mapping  # noqa: E402
from curator.matching.decisions import list_matches  # noqa: E402
from curator.ingest.documents import ingest_documents  # noqa: E402
from curator.samples.corpus import generate_corpus  # noqa: E402
from curator.workspace import init_workspace  # noqa: E402

CASES = (("invoices", "invoice", "invoice-sap"), ("w2", "w2", "w2-payroll"))


def run(kind: str, document_class: str, mapping_name: str, n: int, noise: float, seed: int, scratch: Path) -> dict:
    corpus = scratch / kind
    generated = generate_corpus(kind, n, seed, corpus, noise=noise)
    workspace = init_workspace(scratch / f"ws-{kind}")
    ingested = ingest_documents(workspace, FolderSource(corpus / "documents"), actor="admin",
                                document_class=document_class)
    mapping = load_mapping(mapping_name)
    started = time.perf_counter()
    report = bootstrap(workspace, mapping, actor="admin", erp_dir=corpus / "erp")
    seconds = time.perf_counter() - started
    truth = {}
    with open(corpus / "truth" / "matches.jsonl") as handle:
        for line in handle:
            entry = json.loads(line)
            truth[entry["file"]] = entry["record_key"]
    matches = list_matches(workspace)
    auto = [m for m in matches if m["status"] == "auto"]
    right = [m for m in auto if truth.get(m["file"]) == m["record_key"]]
    ambiguous_files = {m["file"] for m in matches if m["status"] == "ambiguous"}
    missed = [f for f in truth if f not in {m["file"] for m in right}]
    accuracy = bootstrap_accuracy(workspace, mapping, corpus / "truth")
    workspace.close()
    return {
        "kind": kind, "documents": generated.documents, "scanned": generated.scanned, "true_pairs": len(truth),
        "auto_links": len(auto), "wrong_links": len(auto) - len(right),
        "precision": len(right) / len(auto) if auto else None, "coverage": len(right) / len(truth),
        "true_pairs_in_ambiguous_queue": sum(1 for f in missed if f in ambiguous_files),
        "true_pairs_unmatched": sum(1 for f in missed if f not in ambiguous_files),
        "ocr_pages": ingested.pages_read.get("pages", 0) + report.ocr["pages"],
        "ocr_engine": ingested.pages_read.get("engine"), "bootstrap_seconds": round(seconds, 1),
        "field_totals": accuracy["totals"], "fields": accuracy["fields"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "bootstrap_quality.json")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="curator-bench-quality-"))
    try:
        results = [run(*case, args.n, args.noise, args.seed, scratch) for case in CASES]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for r in results:
        print(f"{r['kind']}: {r['documents']} documents ({r['scanned']} scanned), {r['true_pairs']} true pairs; "
              f"{r['auto_links']} auto links, {r['wrong_links']} wrong -> precision {r['precision']:.2%} "
              f"(goal >= 99.5%), coverage {r['coverage']:.2%} (goal >= 97%); missed pairs: "
              f"{r['true_pairs_in_ambiguous_queue']} in the ambiguous queue, {r['true_pairs_unmatched']} unmatched; "
              f"bootstrap {r['bootstrap_seconds']} s ({r['ocr_pages']} pages OCR'd by {r['ocr_engine']} at ingest)")
        t = r["field_totals"]
        print(f"  fields: {t['correct']} right, {t['wrong']} wrong ({t['flagged_wrong']} flagged suspect), "
              f"{t['gap']} gaps")
        for path, s in r["fields"].items():
            acc = "" if s["accuracy_when_filled"] is None else f"{s['accuracy_when_filled']:.1%}"
            print(f"    {path:<42} right {s['correct']:>4}  wrong {s['wrong']:>3}  gap {s['gap']:>5}  "
                  f"flagged {s['flagged']:>3} ({s['flagged_wrong']} wrong)  {acc}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
