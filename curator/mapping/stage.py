"""The ``map`` stage: a Label per matched document, every field with its provenance.

Fields the record fills carry ``source = erp`` (or ``rule`` for lookups and constants);
schema leaves it cannot fill are listed as gaps for the teacher; a value the document
does not show (after normalisation, fuzzily for OCR) is flagged ``suspect`` so a person
looks at it. Re-mapping never overwrites a value a person or the teacher set.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import jsonschema
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from curator.access import Actor, require
from curator.evidence import document_evidence, support
from curator.labels.fields import ABSENT, UNKNOWN, VALUE, decided_values, state_of
from curator.labels.paths import build_target
from curator.labels.writer import label_gaps, rewrite
from curator.locate import PageLines
from curator.mapping.rules import Mapping, mapped_record
from curator.progress import ProgressHook, SilentProgress
from curator.quarantine import quarantine
from curator.schemas.registry import schema_version
from curator.sensitive import audit_value
from curator.store.models import (
    Label,
    LabelEvent,
    LabelStatus,
    Match,
    MatchStatus,
    utcnow,
)
from curator.store.reads import document_lines, document_texts, load_joins, load_records
from curator.workspace import Workspace

STAGE = "map"
SUSPECT_BELOW = 0.9  # support below this means the document does not clearly show the value
ERP_CONFIDENCE = 0.9
SUSPECT_CONFIDENCE = 0.3
PROTECTED_SOURCES = {"human", "teacher"}


@dataclass
class MapReport:
    mapping: str
    labels_created: int = 0
    labels_updated: int = 0
    labels_unchanged: int = 0
    fields_filled: int = 0
    gaps: int = 0
    suspects: int = 0
    schema_invalid: int = 0
    mapping_errors: int = 0
    seconds: float = 0.0
    problems: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


def map_documents(workspace: Workspace, mapping: Mapping, *, actor: Actor | str,
                  progress: ProgressHook | None = None, agent: str | None = None) -> MapReport:
    """Turn each linked record into a label of the mapping's schema, with provenance (authors)."""
    require(workspace, actor, "bootstrap")
    started = time.perf_counter()
    agent = agent or f"mapping:{mapping.name}"
    progress = progress or SilentProgress()
    report = MapReport(mapping=mapping.name)
    records = load_records(workspace, mapping.record_source)
    joins = load_joins(workspace, mapping)
    texts = document_texts(workspace, mapping.document_class)
    validator = jsonschema.Draft202012Validator(mapping.schema, format_checker=jsonschema.FormatChecker())
    with workspace.session() as session:
        links = list(session.exec(select(Match).where(
            col(Match.record_id).in_(list(records)) if records else False,
            col(Match.status).in_(MatchStatus.LINKED))))
    progress.start(len(links), f"map {mapping.name}")
    with workspace.session() as session:
        for link in links:
            record_key, row = records[link.record_id]
            name, text = texts.get(link.document_sha256, ("", ""))
            mapped = mapped_record(mapping, row, joins)
            if mapped.errors:
                report.mapping_errors += len(mapped.errors)
                for error in mapped.errors:
                    report.problems.append({"record": record_key, "file": name, "reason": "mapping_error",
                                            "detail": error})
                quarantine(session, stage=STAGE, source_uri=f"record:{mapping.record_source}/{record_key}",
                           file_name=name, reason="mapping_error", detail="; ".join(mapped.errors))
            evidence = document_evidence(text, name)
            where = PageLines(document_lines(workspace, link.document_sha256))
            now = utcnow().isoformat()
            fields: dict[str, dict[str, Any]] = {}
            for path, value in mapped.values.items():
                entry: dict[str, Any] = {"state": VALUE if value is not None else _empty_state(mapping, path),
                                         "value": value, "source": mapped.provenance[path], "agent": agent,
                                         "confidence": ERP_CONFIDENCE, "at": now}
                kind = mapping.kind(path)
                if value is not None and kind != "boolean" and support(value, kind, evidence) < SUSPECT_BELOW:
                    entry["suspect"] = True
                    entry["confidence"] = SUSPECT_CONFIDENCE
                    place = where.nearest(value) if where else None  # where to look, at least
                else:
                    place = where.locate(value, kind) if where else None
                if place:
                    entry["evidence"] = place
                fields[path] = entry
            session.commit()
            _store(workspace, link.document_sha256, mapping, fields, record_key, report, validator)
            progress.advance()
        session.commit()
    report.seconds = time.perf_counter() - started
    return report


def _empty_state(mapping: Mapping, path: str) -> str:
    """An empty ERP cell is unknown, unless the mapping says the ERP is authoritative for the
    field (``empty = "absent"``: an empty EBELN means the invoice names no purchase order)."""
    rule = mapping.rule_for(path)
    return ABSENT if rule is not None and rule.options.get("empty") == "absent" else UNKNOWN


def _store(workspace: Workspace, document: str, mapping: Mapping, fields: dict[str, dict[str, Any]],
           record_key: str, report: MapReport, validator: jsonschema.protocols.Validator) -> None:
    with workspace.session() as session:
        label = session.exec(select(Label).where(Label.document_sha256 == document,
                                                 Label.schema_name == mapping.schema_name)).first()
        if label is None:
            session.add(Label(document_sha256=document, schema_name=mapping.schema_name,
                              schema_version=schema_version(workspace, mapping.schema_name), fields="{}", version=0))
            try:
                session.commit()
                created = True
            except IntegrityError:  # made a moment ago by another writer: update that one
                session.rollback()
                created = False
            label = session.exec(select(Label).where(Label.document_sha256 == document,
                                                     Label.schema_name == mapping.schema_name)).one()
        else:
            created = False
    outcome: dict[str, Any] = {}

    def change(session, label: Label, current: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        events, located = [], False
        for path, entry in fields.items():
            old = current.get(path)
            if old and old.get("source") in PROTECTED_SOURCES:
                continue  # a person's or the teacher's value is never overwritten by a re-map
            same_value = old and old.get("value") == entry["value"] and old.get("suspect") == entry.get("suspect") \
                and state_of(old) == entry["state"]
            if same_value and old.get("evidence") == entry.get("evidence"):
                continue
            current[path] = entry
            if same_value:  # only where the page shows it is new: kept, but not a change of value to audit
                located = True
                continue
            events.append(LabelEvent(label_id=label.id, field=path,
                                     old=audit_value(path, old and old.get("value"), mapping.schema),
                                     new=audit_value(path, entry["value"], mapping.schema), source=entry["source"],
                                     agent=entry["agent"], reason=f"ERP record {record_key}"
                                     + ("" if entry["state"] != UNKNOWN else " (empty: unknown)")))
        missing = label_gaps(mapping.schema, current)
        target = build_target(mapping.schema, decided_values(current))
        problems = [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
                    for error in validator.iter_errors(target)]
        outcome.update(missing=missing, suspects=sum(1 for e in current.values() if e.get("suspect")),
                       problems=problems)
        if not events and not located and not created and json.loads(label.gaps) == missing:
            outcome["unchanged"] = True
            return None
        session.add_all(events)
        status = label.status
        if status in (LabelStatus.DRAFT, LabelStatus.PRE_ANNOTATED, LabelStatus.NEEDS_REVIEW):
            status = LabelStatus.NEEDS_REVIEW if problems else LabelStatus.PRE_ANNOTATED
        return {"schema": mapping.schema, "fields": current, "problems": problems, "status": status}

    written = rewrite(workspace, label.id, change)
    report.fields_filled += sum(1 for entry in fields.values() if entry["state"] != UNKNOWN)
    report.gaps += len(outcome.get("missing", []))
    report.suspects += outcome.get("suspects", 0)
    report.schema_invalid += bool(outcome.get("problems"))
    if outcome.get("unchanged") or not written:
        report.labels_unchanged += 1
    elif created:
        report.labels_created += 1
    else:
        report.labels_updated += 1
