"""The ``annotate`` stage: ask a teacher model for what the ERP lacks, or to check it all.

- ``gaps``: only the fields the label has no value for; the known ones go along as context.
- ``verify``: every field; each disagreement with the ERP becomes a conflict that keeps both
  candidate values, each agreement raises the field's confidence.

Every answer is stored under (document hash, schema version, model, prompt version, mode,
fields asked) before it is merged, one document at a time: a crash or Ctrl-C loses nothing
and a re-run never pays twice for a finished document. Throttling backs off and retries;
server errors retry; an answer that is not valid JSON gets one repair try, then the
quarantine; the rest of the batch goes on. ``budget_usd`` stops cleanly when reached.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import col, select

from curator.access import Actor, require
from curator.blobs import BlobPage
from curator.labels.compare import flatten, same_value
from curator.labels.fields import ABSENT, UNKNOWN, VALUE, state_of
from curator.labels.writer import rewrite
from curator.progress import ProgressHook, SilentProgress
from curator.quarantine import quarantine
from curator.schemas.registry import schema_for
from curator.sensitive import audit_value
from curator.store.models import (
    Label,
    LabelEvent,
    LabelStatus,
    Page,
    TeacherCall,
    utcnow,
)
from curator.teach.base import (
    UNKNOWN_PRICE,
    Price,
    Teacher,
    TeacherAnswer,
    TeacherError,
    ask_with_retries,
    sdk_retries,
)
from curator.teach.prompt import (
    CONFIDENCE_KEY,
    PROMPT_VERSION,
    instruction,
    requested_schema,
)
from curator.workspace import Workspace

STAGE = "teach"
TEACHER_CONFIDENCE = 0.7
AGREED_CONFIDENCE = 0.98
CONFLICT_CONFIDENCE = 0.3
# The AWS Nova W-2 post's figure for one page: what --estimate assumes per page and answer.
INPUT_TOKENS_PER_PAGE = 1_895
OUTPUT_TOKENS_PER_DOCUMENT = 411
OPEN = (LabelStatus.DRAFT, LabelStatus.PRE_ANNOTATED, LabelStatus.NEEDS_REVIEW, LabelStatus.AUTO_ACCEPTED)


@dataclass
class AnnotateReport:
    model: str
    mode: str
    documents: int = 0
    called: int = 0
    from_cache: int = 0
    failed: int = 0
    fields_filled: int = 0
    agreements: int = 0
    conflicts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    stopped_by_budget: bool = False
    stopped_reason: str | None = None  # the circuit breaker: the teacher could not be reached
    estimate: dict[str, Any] | None = None
    batches: list[dict[str, Any]] | None = None
    seconds: float = 0.0
    problems: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 6)
        data["seconds"] = round(self.seconds, 2)
        return data


@dataclass
class TeacherTask:
    label_id: int
    document: str
    pages: list[BlobPage]  # read through the blob store (a folder or S3)
    wanted: list[str] | None
    known: dict[str, Any]
    cache_key: str


def plan_tasks(workspace: Workspace, schema_name: str, schema: dict, model: str, mode: str) -> list[TeacherTask]:
    tasks = []
    with workspace.session() as session:
        labels = session.exec(select(Label).where(Label.schema_name == schema_name, col(Label.status).in_(OPEN))
                              .order_by(Label.document_sha256)).all()
        for label in labels:
            fields = json.loads(label.fields)
            # Gaps this model already answered "not on the document" for stay unknown (a person
            # or a configured rule decides), but asking the same model again would change nothing.
            open_gaps = [gap for gap in json.loads(label.gaps)
                         if model not in fields.get(gap, {}).get("suggested_absent_by", [])]
            wanted = sorted({g.split(".")[0].split("[")[0] for g in open_gaps}) if mode == "gaps" else None
            if mode == "gaps" and not wanted:
                continue
            known = {path: entry["value"] for path, entry in fields.items() if entry.get("value") is not None}
            pages = [BlobPage(workspace.blobs, key) for key in session.exec(
                select(Page.blob_key).where(Page.document_sha256 == label.document_sha256).order_by(Page.index))]
            key = hashlib.sha256(json.dumps([label.document_sha256, schema.get("$id"), model, PROMPT_VERSION, mode,
                                             wanted], sort_keys=True).encode()).hexdigest()
            tasks.append(TeacherTask(label.id, label.document_sha256, pages, wanted, known, key))
    return tasks


def annotate(
    workspace: Workspace,
    teacher: Teacher,
    *,
    actor: Actor | str,
    schema_name: str,
    mode: str = "gaps",
    concurrency: int = 4,
    budget_usd: float | None = None,
    price: Price | None = None,
    estimate_only: bool = False,
    max_attempts: int = 6,
    backoff_seconds: float = 0.5,
    progress: ProgressHook | None = None,
) -> AnnotateReport:
    """Ask the teacher for the gaps (or to verify every field) of the schema's labels (authors:
    it spends money). Answers are stored as they arrive, so a re-run never pays twice.

    >>> annotate(workspace, open_teacher("bedrock:us.amazon.nova-premier-v1:0"), actor="ana", schema_name="w2")
    """
    require(workspace, actor, "annotate")
    if mode not in ("gaps", "verify"):
        raise ValueError("mode must be gaps or verify")
    started = time.perf_counter()
    schema = schema_for(workspace, schema_name)
    price = price or UNKNOWN_PRICE
    report = AnnotateReport(model=teacher.model, mode=mode)
    tasks = plan_tasks(workspace, schema_name, schema, teacher.model, mode)
    report.documents = len(tasks)
    with workspace.session() as session:
        done = {c.cache_key: c for c in session.exec(select(TeacherCall).where(
            col(TeacherCall.cache_key).in_([t.cache_key for t in tasks]), TeacherCall.status == "ok"))} if tasks else {}
    pending = [t for t in tasks if t.cache_key not in done]
    if estimate_only:
        pages = sum(len(t.pages) for t in pending)
        input_tokens = pages * INPUT_TOKENS_PER_PAGE
        output_tokens = len(pending) * OUTPUT_TOKENS_PER_DOCUMENT
        report.estimate = {"documents": len(pending), "pages": pages, "input_tokens": input_tokens,
                           "output_tokens": output_tokens, "usd": round(price.cost(input_tokens, output_tokens), 4),
                           "already_answered": len(tasks) - len(pending)}
        report.seconds = time.perf_counter() - started
        return report
    progress = progress or SilentProgress()
    progress.start(len(tasks), f"annotate {teacher.model}")
    for task in tasks:  # answers paid for earlier are merged again (idempotent), never re-asked
        if task.cache_key in done:
            report.from_cache += 1
            _merge(workspace, task, json.loads(done[task.cache_key].answer), teacher.model, mode, schema, report)
            progress.advance()

    spent = 0.0
    per_document = price.cost(INPUT_TOKENS_PER_PAGE, OUTPUT_TOKENS_PER_DOCUMENT)
    in_sdk = sdk_retries(teacher, max_attempts, backoff_seconds)
    futures: dict[Future, TeacherTask] = {}
    queue = list(pending)
    unreachable, breaker = 0, workspace.config.teacher.breaker_failures
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        try:
            while queue or futures:
                while queue and len(futures) < concurrency:
                    if budget_usd is not None and spent + per_document * (len(futures) + 1) > budget_usd:
                        report.stopped_by_budget = True
                        queue.clear()
                        break
                    task = queue.pop(0)
                    futures[pool.submit(_ask_and_keep, workspace, teacher, task, schema, mode, max_attempts,
                                        backoff_seconds, price, in_sdk)] = task
                if not futures:
                    break
                finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for future in finished:
                    task = futures.pop(future)
                    outcome, attempts, cost = future.result()
                    spent += cost
                    apply_outcome(workspace, task, outcome, attempts, cost, teacher.model, mode, schema, report)
                    progress.advance()
                    unreachable = unreachable + 1 if isinstance(outcome, TeacherError) and \
                        outcome.kind == "unreachable" else 0
                    if unreachable >= breaker and not report.stopped_reason:
                        # The endpoint is down: say so once, instead of minutes of retries per document.
                        report.stopped_reason = (f"stopped: the teacher could not be reached for {unreachable} "
                                                 f"documents in a row ({outcome}); {len(queue)} documents were not "
                                                 "sent. Check the endpoint and run again: answers are kept")
                        queue.clear()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    report.seconds = time.perf_counter() - started
    return report


def _ask_and_keep(workspace: Workspace, teacher: Teacher, task: TeacherTask, schema: dict, mode: str,
                  max_attempts: int, backoff: float, price: Price,
                  in_sdk: bool = False) -> tuple[TeacherAnswer | TeacherError, int, float]:
    """Runs in a worker thread: the answer is stored here, not after the main loop gets to it."""
    outcome, attempts, latency = _ask(teacher, task, schema, mode, max_attempts, backoff, in_sdk)
    cost = store_call(workspace, task, outcome, attempts, latency, teacher.model, mode, price)
    return outcome, attempts, cost


def _ask(teacher: Teacher, task: TeacherTask, schema: dict, mode: str, max_attempts: int,
         backoff: float, in_sdk: bool = False) -> tuple[TeacherAnswer | TeacherError, int, int]:
    wanted_schema = requested_schema(schema, task.wanted)

    def call(repairing: bool) -> TeacherAnswer:
        text = instruction(schema, task.known, mode)
        if repairing:
            text += "\nYour previous answer could not be read as JSON. Answer again, with the tool only."
        return teacher.extract(task.pages, wanted_schema, task.known, text)

    return ask_with_retries(call, max_attempts=max_attempts, backoff=backoff, repair=True, sdk_retried=in_sdk)


def store_call(workspace, task: TeacherTask, outcome, attempts: int, latency: int, model: str, mode: str,
               price: Price, failure_key: str | None = None) -> float:
    """Keep the answer (or the failure) the moment it arrives: paid work survives any crash after."""
    with workspace.session() as session:
        if isinstance(outcome, TeacherError):
            key = failure_key or f"{task.cache_key[:48]}-{int(time.time() * 1000) % 10**15:015d}"
            session.add(TeacherCall(cache_key=key, document_sha256=task.document, model=model,
                                    prompt_version=PROMPT_VERSION, mode=mode, status="failed", attempts=attempts,
                                    latency_ms=latency, raw=outcome.raw or None, error=f"{outcome.kind}: {outcome}"))
            session.commit()
            return 0.0
        cost = price.cost(outcome.input_tokens, outcome.output_tokens)
        session.add(TeacherCall(cache_key=task.cache_key, document_sha256=task.document, model=model,
                                prompt_version=PROMPT_VERSION, mode=mode, status="ok",
                                input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens,
                                cost_usd=cost, latency_ms=latency, attempts=attempts,
                                answer=json.dumps(outcome.values, ensure_ascii=False), raw=outcome.raw))
        session.commit()
        return cost


def apply_outcome(workspace, task: TeacherTask, outcome, attempts: int, cost: float, model: str, mode: str,
                  schema: dict, report: AnnotateReport) -> None:
    """Count the outcome, quarantine a failure, merge an answer into the label."""
    report.retries += attempts - 1
    if isinstance(outcome, TeacherError):
        report.failed += 1
        with workspace.session() as session:
            quarantine(session, stage=STAGE, source_uri=f"document:{task.document}", file_name=task.document[:12],
                       reason=f"teacher_{outcome.kind}", detail=str(outcome))
            session.commit()
        report.problems.append({"document": task.document, "reason": outcome.kind, "detail": str(outcome)})
        return
    report.called += 1
    report.input_tokens += outcome.input_tokens
    report.output_tokens += outcome.output_tokens
    report.cost_usd += cost
    _merge(workspace, task, outcome.values, model, mode, schema, report)


def record_outcome(workspace, task: TeacherTask, outcome, attempts: int, latency: int, model: str, mode: str,
                   price: Price, schema: dict, report: AnnotateReport, failure_key: str | None = None) -> float:
    cost = store_call(workspace, task, outcome, attempts, latency, model, mode, price, failure_key)
    apply_outcome(workspace, task, outcome, attempts, cost, model, mode, schema, report)
    return cost


def _merge(workspace, task: TeacherTask, answer: dict[str, Any], model: str, mode: str, schema: dict,
           report: AnnotateReport) -> None:
    """Put the teacher's values into the label: fill unknown fields, mark agreements and conflicts.

    The teacher suggests; it never decides that a field is absent: its ``null`` for an unknown
    field leaves the field unknown (noted as its suggestion), so a person or a configured
    agreement rule decides. Written over the version read: a reviewer's save that lands first
    is re-read, never overwritten.
    """
    now = utcnow().isoformat()
    answer = dict(answer)
    reported = answer.pop(CONFIDENCE_KEY, None)
    reported = reported if isinstance(reported, dict) else {}
    flat = flatten(answer)
    wanted_tops = set(task.wanted) if task.wanted is not None else None
    absent_by_agreement = workspace.config.triage.absent_when_erp_and_teacher_agree
    default_confidence = workspace.config.teacher.default_confidence
    counts: dict[str, int] = {}

    def change(session, label: Label, fields: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        counts.clear()
        gap_set = set(json.loads(label.gaps))
        events = []
        changed = False
        for path, value in flat.items():
            top = path.split(".")[0].split("[")[0]
            if wanted_tops is not None and top not in wanted_tops:
                continue
            current = fields.get(path)
            teacher_entry = {"state": VALUE, "value": value, "source": "teacher", "agent": model,
                             "confidence": _reported_confidence(reported, path, top, default_confidence),
                             "at": now}
            if current is None or state_of(current) == UNKNOWN:
                if current is None and not _is_gap(path, gap_set):
                    continue
                if value is None or value == []:  # "not on the document": a suggestion, not a decision
                    if current is not None and current.get("source") in ("erp", "rule") and absent_by_agreement:
                        fields[path] = {**current, "state": ABSENT, "source": "rule", "confidence": AGREED_CONFIDENCE,
                                        "agent": f"agreement:{current.get('source')}+{model}", "at": now}
                        events.append((path, None, None, "rule", "ERP empty and teacher null agree: absent"))
                        continue
                    suggested = (current or {}).get("suggested_absent_by", [])
                    if model not in suggested:
                        fields[path] = {**(current or {"value": None, "at": now}), "state": UNKNOWN,
                                        "suggested_absent_by": sorted({*suggested, model})}
                        changed = True
                    continue
                fields[path] = teacher_entry
                counts["filled"] = counts.get("filled", 0) + 1
                events.append((path, None, value, "teacher", "filled a gap"))
            elif current.get("source") in ("erp", "rule") and mode == "verify":
                if same_value(current["value"], value):
                    if model not in current.get("agreed_by", []):
                        current["agreed_by"] = sorted(set(current.get("agreed_by", [])) | {model})
                        current["confidence"] = AGREED_CONFIDENCE
                        counts["agreements"] = counts.get("agreements", 0) + 1
                        changed = True
                elif not current.get("conflict"):
                    current["conflict"] = True
                    current["confidence"] = CONFLICT_CONFIDENCE
                    current["candidates"] = [
                        {"value": current["value"], "source": current["source"], "agent": current.get("agent")},
                        {"value": value, "source": "teacher", "agent": model},
                    ]
                    counts["conflicts"] = counts.get("conflicts", 0) + 1
                    events.append((path, current["value"], value, "teacher", "conflict with the ERP value"))
        if not (events or changed):
            return None
        for path, old, new, source, reason in events:
            session.add(LabelEvent(label_id=label.id, field=path, old=audit_value(path, old, schema),
                                   new=audit_value(path, new, schema), source=source, agent=model, reason=reason))
        # Whatever triage said before no longer holds: the label is pre-annotated again and the
        # next triage decides (conflicts go first in the review queue).
        return {"schema": schema, "fields": fields, "status": LabelStatus.PRE_ANNOTATED}

    if rewrite(workspace, task.label_id, change):
        report.fields_filled += counts.get("filled", 0)
        report.agreements += counts.get("agreements", 0)
        report.conflicts += counts.get("conflicts", 0)


def _reported_confidence(reported: dict[str, Any], path: str, top: str,
                         default: float = TEACHER_CONFIDENCE) -> float:
    """The model's own confidence for a field when it gave one (by leaf path or top-level field),
    else the configured default (``[teacher] default_confidence``)."""
    value = reported.get(path, reported.get(top))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return default


def _is_gap(path: str, gaps: set[str]) -> bool:
    if path in gaps:
        return True
    parts = path.replace("[", ".[").split(".")
    return any(".".join(parts[:i]).replace(".[", "[") in gaps for i in range(1, len(parts)))
