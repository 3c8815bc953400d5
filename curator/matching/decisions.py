"""People's decisions on matches: list, confirm, reject. Decisions survive re-runs."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from curator.catalog import NotFound, find_document
from curator.store.models import Document, ErpRecord, Match, MatchStatus, utcnow
from curator.workspace import Workspace
from curator.access import Actor, require


class MatchDecisionError(ValueError):
    pass


def list_matches(workspace: Workspace, *, status: str | None = None, source: str | None = None) -> list[dict[str, Any]]:
    """The record-document links, with file, record key, score and status (for people to decide)."""
    query = (select(Match, ErpRecord.record_key, ErpRecord.source, Document.file_name)
             .join(ErpRecord, ErpRecord.id == Match.record_id)
             .join(Document, Document.sha256 == Match.document_sha256)
             .order_by(Document.file_name, Match.score.desc()))
    if status:
        query = query.where(Match.status == status)
    if source:
        query = query.where(ErpRecord.source == source)
    with workspace.session() as session:
        return [
            {"id": match.id, "file": file_name, "document": match.document_sha256, "source": record_source,
             "record_key": record_key, "score": match.score, "status": match.status,
             "evidence": json.loads(match.evidence), "decided_by": match.decided_by}
            for match, record_key, record_source, file_name in session.exec(query)
        ]


def unmatched(workspace: Workspace, source: str, document_class: str | None) -> dict[str, list[str]]:
    """Records without a document and documents without a record, for one source and class."""
    with workspace.session() as session:
        linked = select(Match.record_id).where(col(Match.status).in_(MatchStatus.LINKED + (MatchStatus.AMBIGUOUS,)))
        records = session.exec(select(ErpRecord.record_key).where(ErpRecord.source == source,
                                                                   col(ErpRecord.id).not_in(linked))).all()
        linked_docs = select(Match.document_sha256).where(
            col(Match.status).in_(MatchStatus.LINKED + (MatchStatus.AMBIGUOUS,)))
        query = select(Document.file_name).where(col(Document.sha256).not_in(linked_docs))
        if document_class:
            query = query.where(Document.document_class == document_class)
        documents = session.exec(query).all()
    return {"records": sorted(records), "documents": sorted(documents)}


def _resolve(workspace: Workspace, session, match_id: int | None, record: str | None, document: str | None,
             source: str | None) -> tuple[ErpRecord, str, Match | None]:
    if match_id is not None:
        match = session.get(Match, match_id)
        if match is None:
            raise MatchDecisionError(f"no match with id {match_id}")
        return session.get(ErpRecord, match.record_id), match.document_sha256, match
    if not (record and document):
        raise MatchDecisionError("give a match id, or both --record KEY and --document FILE|SHA")
    query = select(ErpRecord).where(ErpRecord.record_key == record)
    if source:
        query = query.where(ErpRecord.source == source)
    found = session.exec(query).all()
    if len(found) != 1:
        raise MatchDecisionError(f"record {record!r}: {'not found' if not found else 'in several sources; give --source'}")
    try:
        sha = find_document(workspace, document).document.sha256
    except NotFound as exc:
        raise MatchDecisionError(str(exc)) from None
    match = session.exec(select(Match).where(Match.record_id == found[0].id, Match.document_sha256 == sha)).first()
    return found[0], sha, match


def confirm_match(workspace: Workspace, *, match_id: int | None = None, record: str | None = None,
                  document: str | None = None, source: str | None = None, by: Actor | str) -> dict[str, Any]:
    """Link a record and a document for good; other automatic links of either are dropped (authors)."""
    by = require(workspace, by, "match_decisions").name
    with workspace.session() as session:
        erp_record, sha, match = _resolve(workspace, session, match_id, record, document, source)
        others = session.exec(select(Match).where(
            (Match.record_id == erp_record.id) | (Match.document_sha256 == sha))).all()
        for other in others:
            if other is match or (match and other.id == match.id):
                continue
            if other.status == MatchStatus.CONFIRMED:
                raise MatchDecisionError(
                    f"{'record' if other.record_id == erp_record.id else 'document'} is already confirmed with "
                    f"another partner (match {other.id}); reject that one first")
            if other.status != MatchStatus.REJECTED:
                session.delete(other)
        if match is None:
            match = Match(record_id=erp_record.id, document_sha256=sha, score=1.0, method="manual",
                          evidence=json.dumps({"manual": True}), status=MatchStatus.CONFIRMED)
        match.status, match.decided_by, match.updated_at = MatchStatus.CONFIRMED, by, utcnow()
        session.add(match)
        session.commit()
        return {"id": match.id, "record_key": erp_record.record_key, "document": sha, "status": match.status}


def reject_match(workspace: Workspace, *, match_id: int | None = None, record: str | None = None,
                 document: str | None = None, source: str | None = None, by: Actor | str) -> dict[str, Any]:
    """Mark a pair as wrong: no re-run will link these two again (authors)."""
    by = require(workspace, by, "match_decisions").name
    with workspace.session() as session:
        erp_record, sha, match = _resolve(workspace, session, match_id, record, document, source)
        if match is None:
            match = Match(record_id=erp_record.id, document_sha256=sha, score=0.0, method="manual",
                          evidence=json.dumps({"manual": True}), status=MatchStatus.REJECTED)
        match.status, match.decided_by, match.updated_at = MatchStatus.REJECTED, by, utcnow()
        session.add(match)
        session.commit()
        return {"id": match.id, "record_key": erp_record.record_key, "document": sha, "status": match.status}
