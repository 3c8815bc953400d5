"""Bedrock batch inference as the teacher: about half the on-demand price, answers in hours.

A batch run is not a request per document but a job: the questions are written as JSONL
(``{recordId, modelInput}``, one line per document, the Nova ``messages-v1`` body with the
same tool and prompt the on-demand teacher sends) to S3, ``create_model_invocation_job``
starts it, and the answers come back as ``<output>/<job id>/<input>.jsonl.out``.

Every run of ``run_batch`` first collects the jobs that finished, then submits what is still
unanswered, so it can be called again at any time (after a crash, from cron, with ``--wait``):

- the job row is committed before anything is uploaded, and the job is created with its name
  as the idempotency token, so a crash between upload and create re-creates the same job;
- a document is never in two live jobs, and one answered before is never sent again (answers
  are stored under the same cache key as on-demand answers);
- collecting twice records nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from connectors.documents.s3 import parse_s3_uri
from curator.progress import ProgressHook, SilentProgress
from curator.schemas.registry import schema_for
from curator.store.models import TeacherBatch, TeacherCall, utcnow
from curator.teach.annotate import AnnotateReport, TeacherTask, plan_tasks, record_outcome
from curator.teach.base import UNKNOWN_PRICE, Price, TeacherError
from curator.teach.bedrock import SYSTEM, answer_from_response, tool_config
from curator.teach.prompt import instruction, page_bytes, requested_schema
from curator.workspace import Workspace
from curator.access import Actor, require

BATCH_DISCOUNT = 0.5
FINISHED = {"Completed", "PartiallyCompleted"}
ENDED_WITHOUT_ANSWERS = {"Failed", "Stopped", "Expired"}
# Bedrock's quota for records per batch job (default); larger runs are split into several jobs.
MAX_RECORDS_PER_JOB = 50_000


def batch_price(price: Price | None) -> Price:
    price = price or UNKNOWN_PRICE
    return Price(price.input_per_1k * BATCH_DISCOUNT, price.output_per_1k * BATCH_DISCOUNT)


@dataclass
class BedrockBatch:
    """Where a batch job reads and writes, the role it runs as, and the clients (real by default)."""

    model: str
    s3_uri: str
    role_arn: str
    bedrock: Any = None
    s3: Any = None
    min_records: int = 100
    max_tokens: int = 4096

    def __post_init__(self) -> None:
        parse_s3_uri(self.s3_uri)
        if not self.model.startswith(("amazon.nova", "us.amazon.nova", "eu.amazon.nova", "apac.amazon.nova")):
            raise ValueError(f"batch requests are written in the Nova format; {self.model!r} is not a Nova model")
        if self.bedrock is None or self.s3 is None:
            import boto3

            self.bedrock = self.bedrock or boto3.client("bedrock")
            self.s3 = self.s3 or boto3.client("s3")

    def record(self, task: TeacherTask, schema: dict[str, Any], mode: str) -> dict[str, Any]:
        """One JSONL line: the Nova InvokeModel body, images as base64 (media first, then text)."""
        content: list[dict[str, Any]] = [
            {"image": {"format": "png", "source": {"bytes": base64.b64encode(page_bytes(p)).decode()}}}
            for p in task.pages]
        content.append({"text": instruction(schema, task.known, mode)})
        return {"recordId": task.cache_key, "modelInput": {
            "schemaVersion": "messages-v1",
            "system": [{"text": SYSTEM}],
            "messages": [{"role": "user", "content": content}],
            "toolConfig": tool_config(requested_schema(schema, task.wanted)),
            "inferenceConfig": {"temperature": 0.0, "maxTokens": self.max_tokens},
        }}


def run_batch(
    workspace: Workspace,
    batch: BedrockBatch,
    *,
    actor: Actor | str,
    schema_name: str,
    mode: str = "gaps",
    price: Price | None = None,
    wait: bool = False,
    poll_seconds: float = 60.0,
    timeout_seconds: float | None = None,
    progress: ProgressHook | None = None,
) -> AnnotateReport:
    """Collect finished jobs, submit what is unanswered, and (``wait``) poll until all are collected."""
    require(workspace, actor, "annotate")
    if mode not in ("gaps", "verify"):
        raise ValueError("mode must be gaps or verify")
    started = time.perf_counter()
    schema = schema_for(workspace, schema_name)
    unit = batch_price(price)
    report = AnnotateReport(model=batch.model, mode=mode)
    progress = progress or SilentProgress()
    collect_finished(workspace, batch, schema, unit, report)
    tasks = plan_tasks(workspace, schema_name, schema, batch.model, mode)
    report.documents = len(tasks)
    with workspace.session() as session:
        answered = set(session.exec(select(TeacherCall.cache_key).where(TeacherCall.status == "ok")))
        in_flight = {t["cache_key"] for b in session.exec(select(TeacherBatch).where(TeacherBatch.collected == False))  # noqa: E712
                     for t in json.loads(b.tasks)}
    pending = [t for t in tasks if t.cache_key not in answered and t.cache_key not in in_flight]
    report.from_cache = sum(1 for t in tasks if t.cache_key in answered)
    if pending and len(pending) < batch.min_records and not in_flight:
        raise ValueError(f"{len(pending)} documents to ask; a Bedrock batch job needs at least {batch.min_records} "
                         f"records: use --teacher bedrock:{batch.model} (on demand) for a run this small")
    if len(pending) >= batch.min_records:
        for start in range(0, len(pending), MAX_RECORDS_PER_JOB):
            _submit(workspace, batch, pending[start:start + MAX_RECORDS_PER_JOB], schema, schema_name, mode, progress)
    _resubmit_unstarted(workspace, batch, schema, mode, progress)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while wait and _open_jobs(workspace, batch.model):
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(poll_seconds)
        collect_finished(workspace, batch, schema, unit, report)
    report.batches = batch_status(workspace, batch.model)
    report.seconds = time.perf_counter() - started
    return report


def batch_status(workspace: Workspace, model: str | None = None) -> list[dict[str, Any]]:
    """The Bedrock batch jobs of the workspace and their state."""
    with workspace.session() as session:
        query = select(TeacherBatch).order_by(TeacherBatch.id)
        if model:
            query = query.where(TeacherBatch.model == model)
        return [{"job": b.job_name, "arn": b.job_arn, "status": b.status, "records": b.records,
                 "collected": b.collected, "message": b.message} for b in session.exec(query)]


def _open_jobs(workspace: Workspace, model: str) -> bool:
    with workspace.session() as session:
        return session.exec(select(TeacherBatch.id).where(TeacherBatch.model == model,
                                                          TeacherBatch.collected == False)).first() is not None  # noqa: E712


def _job_name(tasks: list[TeacherTask]) -> str:
    digest = hashlib.sha256("\n".join(t.cache_key for t in tasks).encode()).hexdigest()
    return f"curator-teach-{digest[:20]}"


def _submit(workspace: Workspace, batch: BedrockBatch, tasks: list[TeacherTask], schema: dict[str, Any],
            schema_name: str, mode: str, progress: ProgressHook) -> None:
    name = _job_name(tasks)
    prefix = batch.s3_uri.rstrip("/")
    with workspace.session() as session:
        earlier = session.exec(select(TeacherBatch.job_name).where(col(TeacherBatch.job_name).startswith(name))).all()
        if earlier:  # the same documents went out before in a job that ended without answers
            name = f"{name}-r{len(earlier)}"
        session.add(TeacherBatch(
            job_name=name, model=batch.model, mode=mode, schema_name=schema_name, records=len(tasks),
            input_uri=f"{prefix}/{name}/input/records.jsonl", output_uri=f"{prefix}/{name}/output/",
            tasks=json.dumps([{"cache_key": t.cache_key, "label_id": t.label_id, "document": t.document,
                               "wanted": t.wanted} for t in tasks])))
        session.commit()
    _start(workspace, batch, name, tasks, schema, mode, progress)


def _resubmit_unstarted(workspace: Workspace, batch: BedrockBatch, schema: dict[str, Any], mode: str,
                        progress: ProgressHook) -> None:
    """Jobs recorded but never started (a crash between the row and the create call) start now."""
    with workspace.session() as session:
        unstarted = list(session.exec(select(TeacherBatch).where(TeacherBatch.model == batch.model,
                                                                 TeacherBatch.job_arn == None)))  # noqa: E711
    if not unstarted:
        return
    schema_tasks = {}
    for row in unstarted:
        keys = {t["cache_key"] for t in json.loads(row.tasks)}
        if row.schema_name not in schema_tasks:
            schema_tasks[row.schema_name] = plan_tasks(workspace, row.schema_name, schema_for(workspace, row.schema_name),
                                                       batch.model, row.mode)
        tasks = [t for t in schema_tasks[row.schema_name] if t.cache_key in keys]
        _start(workspace, batch, row.job_name, tasks, schema_for(workspace, row.schema_name), row.mode, progress)


def _start(workspace: Workspace, batch: BedrockBatch, name: str, tasks: list[TeacherTask], schema: dict[str, Any],
           mode: str, progress: ProgressHook) -> None:
    with workspace.session() as session:
        row = session.exec(select(TeacherBatch).where(TeacherBatch.job_name == name)).one()
        if row.job_arn:
            return
        input_uri, output_uri = row.input_uri, row.output_uri
    bucket, key = parse_s3_uri(input_uri)
    progress.start(len(tasks), f"write batch {name}")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        for task in tasks:  # streamed: one document's images in memory at a time
            handle.write(json.dumps(batch.record(task, schema, mode), ensure_ascii=False) + "\n")
            progress.advance()
    try:
        batch.s3.upload_file(handle.name, bucket, key)
    finally:
        Path(handle.name).unlink(missing_ok=True)
    response = batch.bedrock.create_model_invocation_job(
        jobName=name, roleArn=batch.role_arn, modelId=batch.model, clientRequestToken=name,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}})
    with workspace.session() as session:
        row = session.exec(select(TeacherBatch).where(TeacherBatch.job_name == name)).one()
        row.job_arn, row.status = response["jobArn"], "Submitted"
        session.add(row)
        session.commit()


def collect_finished(workspace: Workspace, batch: BedrockBatch, schema: dict[str, Any], price: Price,
                     report: AnnotateReport) -> None:
    with workspace.session() as session:
        rows = list(session.exec(select(TeacherBatch).where(TeacherBatch.model == batch.model,
                                                            TeacherBatch.collected == False,  # noqa: E712
                                                            TeacherBatch.job_arn != None)))  # noqa: E711
    for row in rows:
        job = batch.bedrock.get_model_invocation_job(jobIdentifier=row.job_arn)
        status = job["status"]
        with workspace.session() as session:
            current = session.get(TeacherBatch, row.id)
            current.status, current.message = status, job.get("message")
            session.add(current)
            session.commit()
        if status in FINISHED:
            _collect(workspace, batch, row, schema, price, report)
        elif status in ENDED_WITHOUT_ANSWERS:
            # Its documents are unanswered again: the next run submits them in a new job.
            _mark_collected(workspace, row.id)
            report.problems.append({"document": "-", "reason": f"batch_{status.lower()}",
                                    "detail": f"job {row.job_name}: {job.get('message') or status}"})


def _output_lines(batch: BedrockBatch, row: TeacherBatch) -> Iterator[dict[str, Any]]:
    bucket, prefix = parse_s3_uri(row.output_uri)
    job_id = row.job_arn.rsplit("/", 1)[-1]
    paginator = batch.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}{job_id}/"):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".jsonl.out"):
                continue
            body = batch.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
            for line in body.iter_lines():
                if line.strip():
                    yield json.loads(line)


def _collect(workspace: Workspace, batch: BedrockBatch, row: TeacherBatch, schema: dict[str, Any], price: Price,
             report: AnnotateReport) -> None:
    tasks = {t["cache_key"]: TeacherTask(t["label_id"], t["document"], [], t["wanted"], {}, t["cache_key"])
             for t in json.loads(row.tasks)}
    with workspace.session() as session:
        answered = set(session.exec(select(TeacherCall.cache_key).where(
            col(TeacherCall.document_sha256).in_([t.document for t in tasks.values()]))))
    seen = set()
    for line in _output_lines(batch, row):
        task = tasks.get(line.get("recordId"))
        if task is None or task.cache_key in seen:
            continue
        seen.add(task.cache_key)
        failure_key = f"{task.cache_key[:48]}-b{row.id:014d}"
        if task.cache_key in answered or failure_key in answered:
            continue  # recorded by an earlier collect that crashed before the job was marked done
        if line.get("error"):
            error = line["error"]
            outcome: Any = TeacherError("refused", f"batch record {error.get('errorCode', '')}: "
                                                   f"{error.get('errorMessage', error)}")
        else:
            try:
                outcome = answer_from_response(line.get("modelOutput") or {})
            except TeacherError as exc:
                outcome = exc
        record_outcome(workspace, task, outcome, 1, 0, batch.model, row.mode, price, schema, report,
                       failure_key=failure_key)
    for key in set(tasks) - seen:
        # No line came back for it: it stays unanswered and goes into the next job.
        report.problems.append({"document": tasks[key].document, "reason": "batch_missing",
                                "detail": f"job {row.job_name} returned no answer for this document"})
    _mark_collected(workspace, row.id)


def _mark_collected(workspace: Workspace, batch_id: int) -> None:
    with workspace.session() as session:
        row = session.get(TeacherBatch, batch_id)
        row.collected, row.finished_at = True, utcnow()
        session.add(row)
        session.commit()

