"""``curator evaluate``: run a model over a split (or read its predictions), store, score.

Each answer is stored the moment it arrives (one row per run and document), so an interrupted
run resumes where it stopped and never asks twice; throttling and server errors back off and
retry like the teacher does. The metrics are computed from the stored answers, so a run can be
re-scored with other comparison options without asking the model again.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlmodel import select

from curator.access import Actor, require
from curator.curate.samples import FieldReport, extraction_samples
from curator.curate.fieldsets import field_set_for
from curator.labels.fieldset import project_schema
from curator.labels.paths import leaf_paths
from curator.evaluate.metrics import CompareOptions, Evaluation, parse_prediction, score_document, to_jsonable
from curator.evaluate.models import make_model
from curator.evaluate.prompts import trained_prompts
from curator.evaluate.rules import RULE_SETS, score_doc2json, score_nova_w2
from curator.progress import ProgressHook, SilentProgress
from curator.quarantine import quarantine
from curator.names import slug
from curator.schemas.registry import schema_for
from curator.store.models import Document, EvalPrediction, EvalRun, utcnow
from curator.teach.base import Price, TeacherError, ask_with_retries
from curator.workspace import Workspace


STAGE = "evaluate"


class EvaluationError(ValueError):
    """The evaluation cannot run as asked; the message says why."""


def _run(workspace: Workspace, name: str, model: str, schema_name: str, split: str) -> int:
    with workspace.session() as session:
        run = session.exec(select(EvalRun).where(EvalRun.name == name)).first()
        if run is None:
            run = EvalRun(name=name, model=model, schema_name=schema_name, split=split)
            session.add(run)
            session.commit()
            session.refresh(run)
        elif (run.model, run.schema_name, run.split) != (model, schema_name, split):
            raise EvaluationError(f"a run named {name!r} already evaluated {run.model} on {run.schema_name}/"
                                  f"{run.split}: choose another --name")
        return run.id


def _store(workspace: Workspace, run_id: int, document: str, **values: Any) -> None:
    """Keep one answer per run and document; an earlier failed attempt is replaced."""
    with workspace.session() as session:
        for old in session.exec(select(EvalPrediction).where(EvalPrediction.run_id == run_id,
                                                             EvalPrediction.document_sha256 == document)):
            session.delete(old)
        session.flush()
        session.add(EvalPrediction(run_id=run_id, document_sha256=document, **values))
        session.commit()


def _quarantine(workspace: Workspace, problems: list[dict[str, str]], *, source: str, file_name: str,
                reason: str, detail: str) -> None:
    with workspace.session() as session:
        quarantine(session, stage=STAGE, source_uri=source, file_name=file_name, reason=reason, detail=detail)
        session.commit()
    problems.append({"source": source, "reason": reason, "detail": detail})


def read_predictions(workspace: Workspace, path: Path,
                     problems: list[dict[str, str]]) -> dict[str, Any]:
    """``{"file" or "document", "prediction"}`` per line -> document hash -> prediction.

    A line that cannot be used (not JSON, no prediction, a file the workspace does not know) is
    quarantined with its line number and the rest of the file goes on.
    """
    with workspace.session() as session:
        by_name = {name: sha for sha, name in session.exec(select(Document.sha256, Document.file_name))}
    out: dict[str, Any] = {}
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise EvaluationError(f"cannot read the predictions file {path}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = {"source": f"{path}:{number}", "file_name": path.name}
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                _quarantine(workspace, problems, **where, reason="not_json", detail=f"not a JSON line ({exc.msg})")
                continue
            if not isinstance(row, dict) or "prediction" not in row or not (row.get("document") or row.get("file")):
                _quarantine(workspace, problems, **where, reason="incomplete",
                            detail='needs "file" or "document" and "prediction"')
                continue
            document = row.get("document") or by_name.get(Path(str(row["file"])).name)
            if document is None:
                _quarantine(workspace, problems, **where, reason="unknown_document",
                            detail=f"no document named {Path(str(row['file'])).name} in the workspace")
                continue
            out[document] = row["prediction"]
    return out


def evaluate(workspace: Workspace, spec: str, *, actor: Actor | str, schema_name: str, split: str = "test",
             name: str | None = None,
             concurrency: int = 4, options: CompareOptions = CompareOptions(), price: Price | None = None,
             progress: ProgressHook | None = None, model: Any = None, backoff: float = 0.5,
             export: Path | None = None, rules: str = "curator") -> dict[str, Any]:
    """Ask a model (or read a predictions file) for the split's documents and score it (authors).
    The model is asked with the prompts of the export it was trained on (``export``, else the
    newest export of the schema: see ``prompts``).

    >>> evaluate(workspace, "predictions:preds.jsonl", actor="ana", schema_name="w2", name="base")
    """
    require(workspace, actor, "evaluate")
    if name is not None:
        slug(name, "evaluation run name")
    schema, field_set = _dataset_schema(workspace, schema_name)
    samples = [s for s in extraction_samples(workspace, schema_name, schema_for(workspace, schema_name), field_set)
               if s.split == split]
    if not samples:
        raise EvaluationError(f"no approved or auto-accepted {schema_name} documents in the {split} split")
    name = name or slug(re.sub(r"[^A-Za-z0-9._-]+", "-", f"{spec.rsplit('/', 1)[-1][:80]}-{schema_name}-{split}")
                        .strip("-.").replace("..", "."), "evaluation run name")
    problems: list[dict[str, str]] = []
    # The model spec or the predictions file is checked before the run is recorded.
    predictions = read_predictions(workspace, Path(spec.split(":", 1)[1]), problems) \
        if spec.startswith("predictions:") else None
    if predictions is None:
        model = model or make_model(spec)
    run_id = _run(workspace, name, spec, schema_name, split)
    with workspace.session() as session:
        # Answered before: never asked again. A failed attempt was not an answer: asked again.
        done = {p.document_sha256 for p in session.exec(select(EvalPrediction).where(
            EvalPrediction.run_id == run_id, EvalPrediction.error == None))}  # noqa: E711
    pending = [s for s in samples if s.document not in done]
    progress = progress or SilentProgress()
    progress.start(len(samples), f"evaluate {name}")
    progress.advance(len(samples) - len(pending))
    if predictions is not None:
        for sample in pending:
            if sample.document in predictions:
                value = predictions[sample.document]
                _store(workspace, run_id, sample.document, raw=value if isinstance(value, str) else json.dumps(value),
                       pages=len(sample.pages))
            progress.advance()
    else:
        trained = trained_prompts(workspace, schema_name, export)
        system, prompt = trained.system, trained.user

        def work(sample):
            outcome, _attempts, latency = ask_with_retries(lambda _: model.answer(sample.pages, system, prompt),
                                                           max_attempts=6, backoff=backoff)
            if isinstance(outcome, TeacherError):
                _store(workspace, run_id, sample.document, error=f"{outcome.kind}: {outcome}",
                       pages=len(sample.pages), latency_ms=latency)
                _quarantine(workspace, problems, source=f"eval:{name}:{sample.document}",
                            file_name=sample.document[:12], reason=f"model_{outcome.kind}", detail=str(outcome))
            else:
                _store(workspace, run_id, sample.document, raw=outcome.text, input_tokens=outcome.input_tokens,
                       output_tokens=outcome.output_tokens, pages=len(sample.pages), latency_ms=latency)
            progress.advance()

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            list(pool.map(work, pending))
    asked = {} if predictions is not None else {"prompts_from": trained.source}
    return {**score_run(workspace, name, options=options, price=price, rules=rules), "problems": problems, **asked}


def _dataset_schema(workspace: Workspace, schema_name: str) -> tuple[dict[str, Any], list[str]]:
    """The schema projected on the dataset's field set (what the model was trained to answer)."""
    schema = schema_for(workspace, schema_name)
    field_set = field_set_for(workspace, schema_name, schema)
    return project_schema(schema, field_set), field_set


def score_run(workspace: Workspace, name: str, *, options: CompareOptions = CompareOptions(),
              price: Price | None = None, rules: str = "curator") -> dict[str, Any]:
    """Score a run's stored answers against the labels over the dataset's field set (decided fields
    only; documents with an unknown field of the set are skipped and counted). ``rules`` adds the
    scores of a published evaluation (``nova-w2-sample``, ``doc2json-sample``: see ``rules``).
    """
    if rules not in RULE_SETS:
        raise EvaluationError(f"--rules must be one of {', '.join(RULE_SETS)}")
    with workspace.session() as session:
        run = session.exec(select(EvalRun).where(EvalRun.name == name)).first()
        if run is None:
            raise EvaluationError(f"no evaluation run {name!r}")
        stored = {p.document_sha256: p for p in session.exec(select(EvalPrediction).where(
            EvalPrediction.run_id == run.id))}
    # Only decided fields are scored: the answers are the labels over the dataset's field set,
    # and documents with an unknown field of the set are skipped (and counted).
    schema, field_set = _dataset_schema(workspace, run.schema_name)
    fields = FieldReport(field_set)
    evaluation = Evaluation()
    tokens_in = tokens_out = pages = 0
    failed = 0
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for sample in extraction_samples(workspace, run.schema_name, schema_for(workspace, run.schema_name), field_set, fields):
        if sample.split != run.split:
            continue
        prediction = stored.get(sample.document)
        raw = None if prediction is None else prediction.raw
        failed += int(prediction is None or prediction.error is not None)
        score_document(evaluation, schema, sample.document[:12], json.loads(sample.answer),
                       raw if raw is not None else "", options)
        pairs.append((json.loads(sample.answer), parse_prediction(raw if raw is not None else "")[0]))
        if prediction is not None:
            tokens_in += prediction.input_tokens
            tokens_out += prediction.output_tokens
            pages += prediction.pages
    result = to_jsonable(evaluation, schema)
    result["rules"] = rules
    if rules == "nova-w2-sample":
        result["rule_set"] = score_nova_w2(schema, pairs)
    elif rules == "doc2json-sample":
        result["rule_set"] = score_doc2json(pairs)
    cost = price.cost(tokens_in, tokens_out) if price else None
    skipped = [item for item in fields.left_out if item["split"] == run.split]
    result.update(skipped_unknown=len(skipped), skipped_documents=skipped[:50],
                  fields_scored=field_set, fields_not_scored=[leaf for leaf in leaf_paths(schema_for(workspace, run.schema_name))
                                                              if leaf not in field_set])
    result.update(name=run.name, model=run.model, schema=run.schema_name, split=run.split,
                  unanswered=failed, input_tokens=tokens_in, output_tokens=tokens_out, pages=pages,
                  cost_usd=cost, cost_per_page_usd=(cost / pages) if cost is not None and pages else None,
                  options={"tolerance": options.tolerance, "ignore_case": options.ignore_case,
                           "collapse_whitespace": options.collapse_whitespace})
    with workspace.session() as session:
        row = session.exec(select(EvalRun).where(EvalRun.name == name)).one()
        row.metrics, row.status, row.updated_at = json.dumps(result, default=str), "scored", utcnow()
        session.add(row)
        session.commit()
    return result


def load_run(workspace: Workspace, name: str) -> dict[str, Any]:
    """A run's stored metrics, by name."""
    with workspace.session() as session:
        run = session.exec(select(EvalRun).where(EvalRun.name == name)).first()
    if run is None:
        raise EvaluationError(f"no evaluation run {name!r}: see `curator evaluate list`")
    return json.loads(run.metrics)


def list_runs(workspace: Workspace) -> list[dict[str, Any]]:
    """Every evaluation run with its headline figures."""
    with workspace.session() as session:
        runs = session.exec(select(EvalRun).order_by(EvalRun.id)).all()
    out = []
    for run in runs:
        metrics = json.loads(run.metrics)
        out.append({"name": run.name, "model": run.model, "schema": run.schema_name, "split": run.split,
                    "documents": metrics.get("documents"), "f1": metrics.get("overall", {}).get("f1"),
                    "accuracy": metrics.get("overall", {}).get("accuracy"),
                    "invalid_json_rate": metrics.get("invalid_json_rate")})
    return out
