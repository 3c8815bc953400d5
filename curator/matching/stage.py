"""Link ERP records to documents: one document per record, one record per document.

1. *Blocking*: an inverted index from each document's identifiers, amounts and dates (text
   layer or OCR, plus the file name) gives every record a short candidate list; no
   record-document pair outside it is ever scored, so the work grows with the data, not
   with its square. The index, the records and their candidates live in a scratch file on
   disk (``matching/index.py``), and scoring walks the documents in batches, so memory stays
   flat as the archive grows.
2. *Scoring*: each mapped field the record has is looked for in the candidate document
   (exactly after normalisation, fuzzily where OCR is noisy); the score is the weighted
   share of the evidence found, and the evidence is stored with the match.
3. *Assignment*: best pairs first, one-to-one. A clear winner is linked automatically; a
   near tie, or a score in the grey zone, goes to the ambiguous queue for a person.

Decisions people made (``confirmed``, ``rejected``) are never undone by a re-run.
"""

from __future__ import annotations

import gc
import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import col, delete, select

from curator.access import Actor, require
from curator.evidence import DocumentEvidence, document_evidence, support, words
from curator.mapping.rules import Mapping, mapped_record
from curator.matching.index import CandidateIndex, token_id
from curator.normalize import identifier_key, money_key, parse_date
from curator.progress import ProgressHook, SilentProgress
from curator.store.models import Document, ErpRecord, Match, MatchStatus, utcnow
from curator.store.reads import iter_document_texts, iter_records, load_joins, texts_of
from curator.workspace import Workspace

AUTO_THRESHOLD = 0.65
AMBIGUOUS_THRESHOLD = 0.4
MARGIN = 0.2  # a runner-up within this distance of the best makes it a near tie
CANDIDATES_PER_RECORD = 12
# A token found on more documents than this cannot tell them apart (a tax rate, a year, a date
# at a million documents): a constant, so a record's blocking work does not grow with the archive.
MAX_POSTINGS = 40
FILE_NAME_WEIGHT = 3.0


@dataclass
class MatchReport:
    mapping: str
    records: int = 0
    documents: int = 0
    auto: int = 0
    ambiguous_records: int = 0
    confirmed_kept: int = 0
    unmatched_records: int = 0
    unmatched_documents: int = 0
    pairs_scored: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase: index, candidates, scoring, links

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class _Candidate:
    record_id: int
    document: str
    score: float
    evidence: str = "{}"  # JSON


def match_records(workspace: Workspace, mapping: Mapping, *, actor: Actor | str,
                  progress: ProgressHook | None = None) -> MatchReport:
    """Link the mapping's records to documents, with evidence (authors).

    >>> match_records(workspace, load_mapping("invoice-sap"), actor="ana").linked
    """
    require(workspace, actor, "bootstrap")
    # The index holds millions of small long-lived objects and creates no reference
    # cycles; letting the cyclic collector rescan them over and over made the run grow
    # faster than the data. Collection resumes (and catches up) when matching is done.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _match_records(workspace, mapping, progress)
    finally:
        if was_enabled:
            gc.enable()


DOCUMENT_BATCH = 2000  # documents whose evidence is in memory at once
RECORD_BATCH = 5000


def _match_records(workspace: Workspace, mapping: Mapping, progress: ProgressHook | None) -> MatchReport:
    started = time.perf_counter()
    progress = progress or SilentProgress()
    report = MatchReport(mapping=mapping.name)
    joins = load_joins(workspace, mapping)
    with workspace.session() as session:
        documents_query = select(func.count()).select_from(Document)
        if mapping.document_class:
            documents_query = documents_query.where(Document.document_class == mapping.document_class)
        report.documents = session.exec(documents_query).one()
        report.records = session.exec(select(func.count()).select_from(ErpRecord)
                                      .where(ErpRecord.source == mapping.record_source)).one()
        decided = list(session.exec(select(Match).join(ErpRecord, ErpRecord.id == Match.record_id).where(
            ErpRecord.source == mapping.record_source, col(Match.status).in_(MatchStatus.DECIDED))))
    confirmed_records = {m.record_id for m in decided if m.status == MatchStatus.CONFIRMED}
    confirmed_documents = {m.document_sha256 for m in decided if m.status == MatchStatus.CONFIRMED}
    rejected = {(m.record_id, m.document_sha256) for m in decided if m.status == MatchStatus.REJECTED}
    progress.start(2 * report.documents + report.records, f"match {mapping.name}")

    candidates: list[_Candidate] = []
    with CandidateIndex() as index:
        # 1. Every document's blocking keys, into the on-disk index.
        numbers: dict[str, int] = {}
        for batch in iter_document_texts(workspace, mapping.document_class, DOCUMENT_BATCH):
            for sha, name, text in batch:
                numbers[sha] = len(numbers) + 1
                index.add_document(numbers[sha], sha, document_evidence(text, name).tokens() | _file_name_tokens(name))
            progress.advance(len(batch))
        report.phases["index"] = round(time.perf_counter() - started, 2)
        # Tokens on more than 2% of the documents cannot tell them apart; tokens on more than
        # MAX_POSTINGS are only asked for a record the rare ones found nothing for, so a
        # record's blocking work stays bounded as the archive grows (a date is on ~70 of 100k
        # invoices, on ~700 of a million).
        frequent = index.frequent_tokens(max(5, min(report.documents // 50, MAX_POSTINGS)))
        common = {token for token, count in frequent.items() if count > max(5, report.documents // 50)}
        medium = set(frequent) - common
        shas = {number: sha for sha, number in numbers.items()}
        # 2. Each record's short candidate list, from a batch of records' tokens at a time.
        for batch in iter_records(workspace, mapping.record_source, RECORD_BATCH):
            wanted = []
            for record_id, _, row in batch:
                if record_id in confirmed_records:
                    continue
                mapped = mapped_record(mapping, row, joins).values
                wanted.append((record_id, row, mapped,
                               {token_id(t) for t in _record_tokens(mapping, row, mapped)} - common))
            postings = index.postings(set().union(*(tokens - medium for *_, tokens in wanted)) if wanted else set())
            blockings = []
            for record_id, row, mapped, tokens in wanted:
                blocking = Counter()
                for token in tokens - medium:
                    for number in postings.get(token, ()):
                        blocking[number] += 1
                blockings.append(blocking)
            # Records that no rare token points anywhere clear (no document shares two of
            # them): the medium tokens too, for those records only.
            unclear = [i for i, blocking in enumerate(blockings) if not blocking or max(blocking.values()) < 2]
            more = index.postings(set().union(*(wanted[i][3] & medium for i in unclear)) if unclear else set())
            for i in unclear:
                for token in wanted[i][3] & medium:
                    for number in more.get(token, ()):
                        blockings[i][number] += 1
            for (record_id, row, mapped, _), blocking in zip(wanted, blockings):
                chosen = [number for number, _ in blocking.most_common(CANDIDATES_PER_RECORD)
                          if shas[number] not in confirmed_documents and (record_id, shas[number]) not in rejected]
                index.add_record(record_id, row, mapped, chosen)
            progress.advance(len(batch))
        del numbers
        index.finish_candidates()
        report.phases["candidates"] = round(time.perf_counter() - started - sum(report.phases.values()), 2)
        # 3. Scoring, a batch of documents at a time: each document's evidence is built once.
        for batch in index.document_batches(DOCUMENT_BATCH):
            texts = texts_of(workspace, [sha for _, sha in batch])
            names = _file_names(workspace, [sha for _, sha in batch])
            evidence = {number: document_evidence(texts.get(sha, ""), names.get(sha, "")) for number, sha in batch}
            pairs = index.candidates_of(batch[0][0], batch[-1][0])
            records = index.records(record for _, record in pairs)
            for number, record_id in pairs:
                row, mapped = records[record_id]
                score, detail = score_pair(mapping, row, mapped, evidence[number])
                report.pairs_scored += 1
                # A pair below the ambiguous threshold can neither be linked nor stop a link
                # (a runner-up matters only within MARGIN of a score of AUTO_THRESHOLD or more).
                if score >= AMBIGUOUS_THRESHOLD:  # the evidence kept as its JSON text: a fraction of the dict's memory
                    candidates.append(_Candidate(record_id, shas[number], score, json.dumps(detail, sort_keys=True)))
            progress.advance(len(batch))

    report.phases["scoring"] = round(time.perf_counter() - started - sum(report.phases.values()), 2)
    links, ambiguous = assign(candidates)
    with workspace.session() as session:
        session.exec(delete(Match).where(
            col(Match.record_id).in_(select(ErpRecord.id).where(ErpRecord.source == mapping.record_source)),
            col(Match.status).in_((MatchStatus.AUTO, MatchStatus.AMBIGUOUS))))
        now = utcnow()
        rows = [{"record_id": c.record_id, "document_sha256": c.document, "score": round(c.score, 4),
                 "method": "evidence", "evidence": c.evidence, "status": status, "created_at": now, "updated_at": now}
                for c, status in [(c, MatchStatus.AUTO) for c in links] + [(c, MatchStatus.AMBIGUOUS) for c in ambiguous]]
        for start in range(0, len(rows), 5000):  # plain inserts in chunks: no ORM object per match in memory
            session.execute(insert(Match), rows[start:start + 5000])
        session.commit()
    report.auto = len(links)
    report.confirmed_kept = len(confirmed_records)
    report.ambiguous_records = len({c.record_id for c in ambiguous})
    linked_records = {c.record_id for c in links} | confirmed_records
    linked_documents = {c.document for c in links} | confirmed_documents
    report.unmatched_records = report.records - len(linked_records) - report.ambiguous_records
    report.unmatched_documents = report.documents - len(linked_documents) - len(
        {c.document for c in ambiguous} - linked_documents)
    report.seconds = time.perf_counter() - started
    report.phases["links"] = round(report.seconds - sum(report.phases.values()), 2)
    return report


def _file_names(workspace: Workspace, shas: list[str]) -> dict[str, str]:
    with workspace.session() as session:
        return dict(session.exec(select(Document.sha256, Document.file_name)
                                 .where(col(Document.sha256).in_(shas))).all())


def _file_name_tokens(name: str) -> set[str]:
    stem = name.rsplit(".", 1)[0]
    parts = {identifier_key(part) for part in stem.replace("_", " ").replace("-", " ").split()}
    parts.add(identifier_key(stem))
    return {f"i:{p}" for p in parts if len(p) >= 4 and any(ch.isdigit() for ch in p)}


def _identifier_parts(name: str, row: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """``$COL`` is a raw record column, ``$A+B`` several that must all appear, else a field."""
    if name.startswith("$"):
        raw = [row.get(column) for column in name[1:].split("+")]
    else:
        raw = [values.get(name)]
    return [identifier_key(v) for v in raw if v not in (None, "")] if all(v not in (None, "") for v in raw) else []


def _in_file_name(parts: list[str], file_name: str) -> bool:
    return bool(parts) and sum(len(p) for p in parts) >= 5 and all(part in file_name for part in parts)


def _record_tokens(mapping: Mapping, row: dict[str, Any], values: dict[str, Any]) -> set[str]:
    tokens = set()
    for name in mapping.match.identifiers:
        for part in _identifier_parts(name, row, values):
            tokens.add(f"i:{part}")
    for path in mapping.match.weights:
        value = values.get(path)
        if value is None:
            continue
        kind = mapping.kind(path)
        if kind == "amount" and (key := money_key(value)):
            tokens.add(f"a:{key}")
        elif kind == "date" and (parsed := parse_date(value)):
            tokens.add(f"d:{parsed.isoformat()}")
        elif kind in ("identifier", "text"):
            key = identifier_key(value)
            if len(key) >= 4 and any(ch.isdigit() for ch in key):
                tokens.add(f"i:{key}")
            elif kind == "text":
                tokens |= {f"w:{word}" for word in words(str(value))}
    return tokens


def score_pair(mapping: Mapping, row: dict[str, Any], values: dict[str, Any],
               evidence: DocumentEvidence) -> tuple[float, dict[str, Any]]:
    """Weighted share of the record's evidence that the document shows, with the details."""
    found: dict[str, float] = {}
    total = earned = 0.0
    for path, weight in mapping.match.weights.items():
        value = values.get(path)
        if value is None:
            continue
        kind = mapping.kind(path)
        hit = support(value, kind, evidence, identifier=path in mapping.match.identifiers)
        found[path] = hit
        total += weight
        earned += weight * hit
    file_name_hits = [name for name in mapping.match.identifiers
                      if _in_file_name(_identifier_parts(name, row, values), evidence.file_name)]
    if file_name_hits:  # a key in the file name is strong evidence; its absence is none
        total += FILE_NAME_WEIGHT
        earned += FILE_NAME_WEIGHT
    score = earned / total if total else 0.0
    return score, {"fields": found, "file_name": file_name_hits}


def assign(candidates: list[_Candidate]) -> tuple[list[_Candidate], list[_Candidate]]:
    """One-to-one links for clear winners; near ties and grey-zone scores are ambiguous."""
    by_record: dict[int, list[_Candidate]] = defaultdict(list)
    by_document: dict[str, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_record[candidate.record_id].append(candidate)
        by_document[candidate.document].append(candidate)

    def runner_up(candidate: _Candidate) -> float:
        others = [c.score for c in by_record[candidate.record_id] if c is not candidate]
        others += [c.score for c in by_document[candidate.document] if c is not candidate]
        return max(others, default=0.0)

    links: list[_Candidate] = []
    ambiguous: list[_Candidate] = []
    taken_records: set[int] = set()
    taken_documents: set[str] = set()
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.record_id, c.document)):
        if candidate.record_id in taken_records or candidate.document in taken_documents:
            continue
        if candidate.score < AMBIGUOUS_THRESHOLD:
            break
        if candidate.score >= AUTO_THRESHOLD and runner_up(candidate) <= candidate.score - MARGIN:
            links.append(candidate)
            taken_records.add(candidate.record_id)
            taken_documents.add(candidate.document)
        else:
            ambiguous.append(candidate)
    # Ambiguous candidates of a record or document that got a clear link elsewhere are moot.
    ambiguous = [c for c in ambiguous if c.record_id not in taken_records and c.document not in taken_documents]
    return links, ambiguous
