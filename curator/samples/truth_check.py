"""Does an exported dataset tell the truth? Every answer compared with the corpus ground truth.

Through the export's ``samples.jsonl`` each line is traced to its document and file, and so to
the corpus's ``truth/labels.jsonl``. A value the document prints must never be exported as
``null``, an empty list or a list shorter than the printed one: that is the error that teaches
a model to leave printed values out. Values that differ are counted too (wrong ERP values the
bootstrap did not catch).

>>> check_export(Path("workspace/exports/swift-extraction-w2"), Path("corpus/w2/truth"))["missing_rate"]
0.0
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curator.labels.compare import same_value

SPLIT_FILES = {"train": "train.jsonl", "validation": "validation.jsonl", "test": "test.jsonl"}


def answer_of(record: dict[str, Any]) -> dict[str, Any]:
    """The assistant's answer of a Bedrock (Nova, Llama) or ms-swift line."""
    last = record["messages"][-1]
    content = last["content"]
    text = content if isinstance(content, str) else content[0]["text"]
    return json.loads(text)


def truth_labels(truth_dir: Path) -> dict[str, dict[str, Any]]:
    with open(truth_dir / "labels.jsonl", encoding="utf-8") as handle:
        return {row["file"]: row["label"] for row in map(json.loads, handle)}


def _compare(truth: Any, exported: Any, path: str, out: dict[str, Any]) -> None:
    """Walk the exported answer (only its keys were exported) against the truth."""
    if isinstance(exported, dict):
        for key, value in exported.items():
            _compare((truth or {}).get(key) if isinstance(truth, dict) else None, value,
                     f"{path}.{key}" if path else key, out)
        return
    if isinstance(truth, list):
        printed = len(truth)
        rows = exported if isinstance(exported, list) else []
        if printed and len(rows) < printed:
            out["shorter_lists"].append(path)
        for index, row in enumerate(rows[:printed]):
            _compare(truth[index], row, f"{path}[{index}]", out)
        for index in range(len(rows), printed):  # every printed value of a missing row is missing
            for value in (truth[index].values() if isinstance(truth[index], dict) else [truth[index]]):
                if value is not None:
                    out["printed"] += 1
                    out["missing"].append(f"{path}[{index}]")
        return
    if truth is None:
        return
    out["printed"] += 1
    if exported is None or exported == [] or exported == "":
        out["missing"].append(path)
    elif not same_value(truth, exported):
        out["different"].append(path)


def check_export(folder: Path, truth_dir: Path) -> dict[str, Any]:
    """Per export folder: documents, printed values, and those exported as missing or different."""
    truths = truth_labels(truth_dir)
    lines: dict[str, list[str]] = {}
    for split, name in SPLIT_FILES.items():
        path = folder / name
        lines[split] = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out: dict[str, Any] = {"printed": 0, "missing": [], "different": [], "shorter_lists": []}
    documents, untraced = set(), 0
    with open(folder / "samples.jsonl", encoding="utf-8") as handle:
        for sample in map(json.loads, handle):
            truth = truths.get(sample["file"])
            if truth is None:
                untraced += 1
                continue
            documents.add(sample["document"])
            _compare(truth, answer_of(json.loads(lines[sample["split"]][sample["line"] - 1])), "", out)
    missing = len(out["missing"])
    return {"folder": str(folder), "documents": len(documents), "untraced_lines": untraced,
            "printed_values": out["printed"], "exported_missing": missing,
            "missing_rate": missing / out["printed"] if out["printed"] else 0.0,
            "shorter_lists": len(out["shorter_lists"]), "different": len(out["different"]),
            "missing_fields": sorted(set(out["missing"]))[:20], "different_fields": sorted(set(out["different"]))[:20]}
