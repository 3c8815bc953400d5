"""The main job on the embedded default: corpus -> workspace -> ingest -> ERP bootstrap ->
triage -> splits -> validated Bedrock Nova and ms-swift datasets.

Runs on a fresh machine without AWS credentials (the Bedrock lines carry the s3:// URIs an
upload would create; nothing is uploaded). Later stages (teach, review, fine-tune) join
here as they land. Re-running reuses what is already there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.documents import open_document_source
from curator.catalog import document_counts
from curator.config import save_config
from curator.curate import fieldsets
from curator.curate.export import export_dataset
from curator.curate.splits import assign_splits
from curator.curate.triage import triage
from curator.mapping.accuracy import bootstrap_accuracy
from curator.pipeline import bootstrap
from curator.mapping.rules import load_mapping
from curator.ingest.documents import IngestReport, ingest_documents
from curator.progress import ProgressHook, SilentProgress
from curator.review.users import add_user
from curator.samples.corpus import generate_corpus
from curator.workspace import init_workspace
from curator.access import LOCAL_ADMIN

# corpus folder, document class, mapping, schema
CORPORA = (("w2", "w2", "w2-payroll", "w2"), ("invoices", "invoice", "invoice-sap", "invoice"))
GROUP_BY = ["seller_name", "employee.ssn"]  # a vendor's invoices, or one person's W-2s, stay in one split
EXAMPLE_S3 = "s3://curator-demo-datasets"  # what the Bedrock lines point at; nothing is uploaded


@dataclass
class DemoReport:
    directory: str
    workspace: str
    corpus: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, dict[str, Any]] = field(default_factory=dict)
    bootstrap: dict[str, dict[str, Any]] = field(default_factory=dict)
    teacher: dict[str, Any] = field(default_factory=dict)
    triage: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    problems: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "workspace": self.workspace,
            "corpus": self.corpus,
            "ingest": self.ingest,
            "bootstrap": self.bootstrap,
            "teacher": self.teacher,
            "triage": self.triage,
            "fields": self.fields,
            "review": self.review,
            "splits": self.splits,
            "exports": self.exports,
            "counts": self.counts,
            "problems": self.problems,
        }


# Only for the throwaway demo workspace; real workspaces add users with `curator users add`.
DEMO_USER, DEMO_PASSWORD = "demo", "curator-demo"


def run_demo(
    directory: Path,
    *,
    n: int = 40,
    seed: int = 7,
    noise: float = 0.3,
    workers: int | None = None,
    teacher: str | None = None,
    teacher_budget_usd: float = 1.0,
    progress_factory=None,
) -> DemoReport:
    directory = Path(directory).resolve()
    new_progress = progress_factory or (lambda: SilentProgress())
    report = DemoReport(directory=str(directory), workspace=str(directory / "workspace"))
    for kind, *_ in CORPORA:
        report.corpus[kind] = _ensure_corpus(directory / "corpus" / kind, kind, n, seed, noise, new_progress())
    workspace = init_workspace(directory / "workspace", name="demo")
    # An example S3 location for fine-tuning outputs, so `curator finetune submit --dry-run`
    # shows a complete request on the demo workspace (nothing is sent without credentials).
    if workspace.config.finetune.s3 is None:
        workspace.config.finetune.s3 = f"{EXAMPLE_S3}/jobs"
        workspace.config.finetune.role_arn = "arn:aws:iam::123456789012:role/curator-demo-finetune"
        save_config(workspace.root, workspace.config)
    try:
        for kind, document_class, *_ in CORPORA:
            source = open_document_source(str(directory / "corpus" / kind / "documents"))
            result: IngestReport = ingest_documents(
                workspace, source, actor=LOCAL_ADMIN, document_class=document_class, workers=workers, progress=new_progress()
            )
            report.ingest[kind] = result.to_dict()
            report.problems += len(result.problems)
        for kind, _, mapping_name, _ in CORPORA:
            corpus = directory / "corpus" / kind
            mapping = load_mapping(mapping_name)
            result = bootstrap(workspace, mapping, actor=LOCAL_ADMIN, erp_dir=corpus / "erp",
                               progress_factory=new_progress)
            summary = result.to_dict()
            summary["accuracy"] = bootstrap_accuracy(workspace, mapping, corpus / "truth")["totals"]
            report.bootstrap[kind] = summary
            report.problems += result.problems
        report.teacher = _teach(workspace, teacher, teacher_budget_usd, new_progress)
        # The datasets hold the fields the labels decide: a field nobody knows yet is left out
        # (and named, with how to fill it), never written as "not on the document".
        for _, _, _, schema_name in CORPORA:
            suggestion = fieldsets.suggest(workspace, schema_name)
            fieldsets.save(workspace, schema_name, suggestion.fields)
            report.fields[schema_name] = {**suggestion.to_dict(),
                                          "how_to_fill": fieldsets.how_to_fill(suggestion.left_out, schema_name)}
        report.triage = triage(workspace, actor=LOCAL_ADMIN).to_dict()
        report.splits = assign_splits(workspace, actor=LOCAL_ADMIN, group_by=GROUP_BY, seed=seed).to_dict()
        for kind, _, _, schema_name in CORPORA:
            for fmt in ("bedrock-nova", "swift"):
                try:
                    result = export_dataset(workspace, actor=LOCAL_ADMIN, fmt=fmt, schema_name=schema_name,
                                            s3_prefix=f"{EXAMPLE_S3}/{fmt}-{schema_name}" if fmt.startswith("bedrock") else None)
                except ValueError as exc:  # nothing to write, or the folder holds someone else's files
                    report.exports[f"{fmt}/{schema_name}"] = {"folder": None, "counts": {}, "valid": False,
                                                              "errors": [str(exc)], "warnings": 0}
                    report.problems += 1
                    continue
                report.exports[f"{fmt}/{schema_name}"] = {
                    "folder": result.folder, "counts": result.counts, "valid": not result.validation["errors"],
                    "errors": result.validation["errors"][:5], "warnings": len(result.validation["warnings"]),
                    "left_out": len(result.fields.get("left_out", [])),
                }
                report.problems += len(result.validation["errors"])
        report.counts = document_counts(workspace)
        # A demo user so the review UI can be opened on this workspace right away.
        add_user(workspace, DEMO_USER, "admin", DEMO_PASSWORD, by=LOCAL_ADMIN)
        report.review = {"user": DEMO_USER, "password": DEMO_PASSWORD}
    finally:
        workspace.close()
    return report


def _teach(workspace, spec: str | None, budget: float, new_progress) -> dict[str, Any]:
    """The teacher costs money, so the demo only asks one when told to (``--teacher``)."""
    if not spec:
        import boto3

        has_credentials = boto3.Session().get_credentials() is not None
        reason = ("no --teacher given (AWS credentials were found: run `curator demo --teacher "
                  "bedrock:us.amazon.nova-premier-v1:0` to spend up to $1 filling the gaps)" if has_credentials else
                  "no AWS credentials on this machine and no --teacher endpoint given; the gaps stay for review")
        return {"skipped": reason}
    from curator.teach import open_teacher
    from curator.teach.annotate import annotate
    from curator.teach.base import PRICES

    model = open_teacher(spec)
    results = {}
    for _, _, _, schema_name in CORPORA:
        report = annotate(workspace, model, actor=LOCAL_ADMIN, schema_name=schema_name, mode="gaps", budget_usd=budget,
                          price=PRICES.get(model.model), progress=new_progress())
        results[schema_name] = report.to_dict()
    return results


def _ensure_corpus(out: Path, kind: str, n: int, seed: int, noise: float, progress: ProgressHook) -> dict[str, Any]:
    """Generate the corpus unless the same one (kind, size, seed, noise) is already there."""
    stamp = out / "corpus.json"
    wanted = {"kind": kind, "n": n, "seed": seed, "noise": noise}
    if stamp.exists():
        existing = json.loads(stamp.read_text())
        if existing.get("params") == wanted:
            return existing["report"]
    generated = generate_corpus(kind, n, seed, out, noise=noise, progress=progress).to_dict()
    stamp.write_text(json.dumps({"params": wanted, "report": generated}, indent=2, sort_keys=True))
    return generated
