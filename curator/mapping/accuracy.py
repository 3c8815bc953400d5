"""How good is the bootstrap? Per field, against a corpus's ground truth.

For every matched document with a truth label: how many fields the ERP filled correctly,
filled wrongly, left as gaps, and how many were flagged suspect (and of those, how many
were indeed wrong). This is what tells a data engineer where the teacher must help.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlmodel import select

from curator.mapping.rules import Mapping
from curator.labels.compare import flatten, same_value
from curator.labels.paths import generic
from curator.store.models import Document, Label


def bootstrap_accuracy(workspace, mapping: Mapping, truth_dir: Path) -> dict[str, Any]:
    """Per field, how the bootstrap's labels compare with a corpus's ground truth: right, wrong,
    unknown, and how many wrong ones were flagged suspect.

    >>> bootstrap_accuracy(workspace, load_mapping("w2-payroll"), Path("corpus/w2/truth"))["totals"]
    """
    truth = {}
    with open(Path(truth_dir) / "labels.jsonl", encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            truth[entry["file"]] = entry["label"]
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    documents = 0
    with workspace.session() as session:
        rows = session.exec(select(Label, Document.file_name).join(Document)
                            .where(Label.schema_name == mapping.schema_name)).all()
    for label, file_name in rows:
        if file_name not in truth:
            continue
        documents += 1
        fields = json.loads(label.fields)
        for path, true_value in flatten(truth[file_name]).items():
            field_stats = stats[generic(path)]
            entry = fields.get(path)
            if entry is None:
                field_stats["gap"] += 1
                continue
            suspect = bool(entry.get("suspect"))
            if same_value(entry["value"], true_value):
                field_stats["correct"] += 1
                field_stats["flagged_correct"] += suspect
            else:
                field_stats["wrong"] += 1
                field_stats["flagged_wrong"] += suspect
    per_field = {}
    for path, counts in sorted(stats.items()):
        filled = counts["correct"] + counts["wrong"]
        per_field[path] = {
            "correct": counts["correct"], "wrong": counts["wrong"], "gap": counts["gap"],
            "flagged": counts["flagged_correct"] + counts["flagged_wrong"], "flagged_wrong": counts["flagged_wrong"],
            "accuracy_when_filled": round(counts["correct"] / filled, 4) if filled else None,
        }
    totals = {key: sum(v[key] for v in per_field.values()) for key in ("correct", "wrong", "gap", "flagged",
                                                                        "flagged_wrong")}
    unflagged_wrong = totals["wrong"] - totals["flagged_wrong"]
    return {"mapping": mapping.name, "documents": documents, "fields": per_field, "totals": totals,
            "wrong_caught_by_suspect_flag": round(totals["flagged_wrong"] / totals["wrong"], 4) if totals["wrong"] else None,
            "unflagged_wrong": unflagged_wrong}
