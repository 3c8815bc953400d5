"""Train / validation / test splits that never leak.

- Deterministic: the same documents, ratios and seed give the same assignment.
- Stratified by document class, so each split sees every class in proportion.
- Grouped: near-duplicate documents (the same document twice, e.g. a PDF and its scan: a
  close perceptual hash of the first page and the same printed values) and documents
  sharing a chosen group key (vendor, employer, template) always land in the same split.
- Persisted: an assigned document keeps its split forever; documents added later join
  their group's split, or fill the splits towards the ratios. No test document can move
  into training on a re-export.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import select

from curator.evidence import document_evidence
from curator.normalize import text_key
from curator.store.models import Document, Label, Page, SplitAssignment
from curator.workspace import Workspace
from curator.access import Actor, require
from curator.progress import ProgressHook, SilentProgress

SPLITS = ("train", "validation", "test")
# When a group already straddles splits (a key added later), new members go to the most
# protected one: a near-duplicate of a test document must not train the model.
PROTECTION = {"test": 0, "validation": 1, "train": 2}


@dataclass
class SplitReport:
    strategy: str
    assigned: int = 0
    kept: int = 0
    groups: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def near_duplicate_pairs(documents: dict[str, tuple[str, frozenset[str]]], distance: int,
                         min_overlap: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of documents that are the same document: first pages within ``distance`` bits
    of perceptual hash *and* sharing at least ``min_overlap`` (Jaccard) of the values they
    print (amounts, identifiers).

    The hash alone is not enough: every W-2 of one form template hashes alike. Candidates
    come from an index of the printed values (never every pair); documents that print no
    readable value fall back to an identical hash.
    """
    postings: dict[str, list[str]] = defaultdict(list)
    for sha, (_, tokens) in documents.items():
        for token in tokens:
            postings[token].append(sha)
    max_df = max(5, len(documents) // 50)
    pairs = set()
    for sha, (phash, tokens) in sorted(documents.items()):
        shared = Counter(other for token in tokens if len(postings[token]) <= max_df
                         for other in postings[token] if other > sha)
        for other, count in shared.items():
            other_hash, other_tokens = documents[other]
            if count >= 2 and _hamming(phash, other_hash) <= distance and \
                    count / len(tokens | other_tokens) >= min_overlap:
                pairs.add((sha, other))
    by_hash: dict[str, list[str]] = defaultdict(list)
    for sha, (phash, tokens) in documents.items():
        if not tokens:
            by_hash[phash].append(sha)
    for members in by_hash.values():
        members.sort()
        pairs.update((members[0], other) for other in members[1:])
    return sorted(pairs)


def _printed_values(text: str) -> frozenset[str]:
    evidence = document_evidence(text)
    return frozenset({f"a:{a}" for a in evidence.amounts if len(a) > 5} | {f"i:{i}" for i in evidence.identifiers
                                                                         if len(i) >= 5})


def assign_splits(
    workspace: Workspace,
    *,
    actor: Actor | str,
    ratios: dict[str, float] | None = None,
    group_by: str | list[str] | None = None,
    seed: int = 0,
    near_duplicate_distance: int = 6,
    stratify_by: str | None = None,
    progress: ProgressHook | None = None,
) -> SplitReport:
    """Assign every document not yet in a split to train, validation or test (authors).

    Stratified by class (and by the value of the label field ``stratify_by``, e.g. currency or
    supplier.name, so each split sees each kind), near-duplicate pages and ``group_by`` values
    kept together, and persisted: a document keeps its split forever, so re-exports never leak test documents into
    training.

    >>> assign_splits(workspace, actor="ana", group_by=["seller_name"], seed=7).counts
    """
    require(workspace, actor, "split")
    ratios = ratios or {"train": 0.8, "validation": 0.1, "test": 0.1}
    if set(ratios) != set(SPLITS) or any(v < 0 for v in ratios.values()) or abs(sum(ratios.values()) - 1) > 1e-6:
        raise ValueError("ratios must give train, validation and test, each >= 0, summing to 1")
    group_fields = [group_by] if isinstance(group_by, str) else list(group_by or [])
    strategy = f"stratified:class{f'+{stratify_by}' if stratify_by else ''};near-duplicates:{near_duplicate_distance}" + (
        f";group:{','.join(group_fields)}" if group_fields else "")
    report = SplitReport(strategy=strategy)
    with workspace.session() as session:
        documents = {sha: cls or "unknown" for sha, cls in session.exec(select(Document.sha256, Document.document_class)).all()}
        first_pages = dict(session.exec(select(Page.document_sha256, Page.phash).where(Page.index == 0)).all())
        texts: dict[str, list[str]] = defaultdict(list)
        for sha, text, ocr in session.exec(select(Page.document_sha256, Page.text, Page.ocr_text)
                                           .order_by(Page.document_sha256, Page.index)):
            texts[sha].append(text if text.strip() else (ocr or ""))
        existing = {a.document_sha256: a.split for a in session.exec(select(SplitAssignment))}
        if stratify_by:  # each stratum: a class and one value of the field
            for sha, fields in session.exec(select(Label.document_sha256, Label.fields)):
                entry = json.loads(fields).get(stratify_by)
                if sha in documents and entry and entry.get("value") not in (None, ""):
                    documents[sha] = f"{documents[sha]} / {stratify_by}={entry['value']}"
        group_values: dict[str, str] = {}
        if group_fields:
            for sha, fields in session.exec(select(Label.document_sha256, Label.fields)):
                values = json.loads(fields)
                for name in group_fields:  # the first of the fields the label has
                    entry = values.get(name)
                    if entry and entry.get("value") not in (None, ""):
                        group_values[sha] = f"{name}={text_key(entry['value'])}"
                        break

    groups = _UnionFind()
    for sha in documents:
        groups.find(sha)
    fingerprints = {s: (first_pages[s], _printed_values("\n".join(texts.get(s, [])))) for s in documents
                    if s in first_pages}
    for a, b in near_duplicate_pairs(fingerprints, near_duplicate_distance):
        groups.union(a, b)
    by_value: dict[str, str] = {}
    for sha, value in sorted(group_values.items()):
        if value in by_value:
            groups.union(sha, by_value[value])
        else:
            by_value[value] = sha
    members: dict[str, list[str]] = defaultdict(list)
    for sha in sorted(documents):
        members[groups.find(sha)].append(sha)
    report.groups = len(members)

    counts: dict[str, Counter] = defaultdict(Counter)  # class -> split -> documents
    totals: Counter = Counter()
    for sha, split in existing.items():
        if sha in documents:
            counts[documents[sha]][split] += 1
    for sha in documents:
        totals[documents[sha]] += 1

    new_assignments: dict[str, tuple[str, str]] = {}
    pending = []
    for root, group in members.items():
        assigned = {existing[s] for s in group if s in existing}
        todo = [s for s in group if s not in existing]
        report.kept += len(group) - len(todo)
        if not todo:
            continue
        if assigned:
            split = min(assigned, key=PROTECTION.__getitem__)
            for sha in todo:
                new_assignments[sha] = (split, root)
                counts[documents[sha]][split] += 1
        else:
            order = hashlib.sha256(f"{seed}:{root}".encode()).hexdigest()
            pending.append((order, root, todo))
    for _, root, todo in sorted(pending):
        cls = Counter(documents[s] for s in todo).most_common(1)[0][0]
        # The split least filled relative to its target takes the group: small splits get
        # their first groups early instead of after train has taken everything.
        fill = {s: counts[cls][s] / (ratios[s] * totals[cls]) for s in SPLITS if ratios[s] > 0}
        split = min(fill, key=lambda s: (fill[s], SPLITS.index(s)))
        for sha in todo:
            new_assignments[sha] = (split, root)
            counts[documents[sha]][split] += 1

    progress = progress or SilentProgress()
    progress.start(len(new_assignments), "split")
    with workspace.session() as session:
        for sha, (split, root) in sorted(new_assignments.items()):
            progress.advance()
            session.add(SplitAssignment(document_sha256=sha, split=split, group_key=root[:64], strategy=strategy,
                                        seed=seed))
        session.commit()
    report.assigned = len(new_assignments)
    report.counts = {cls: {s: counts[cls][s] for s in SPLITS} for cls in sorted(counts)}
    return report


def split_of(workspace: Workspace) -> dict[str, str]:
    """Document sha256 -> its split, as stored."""
    with workspace.session() as session:
        return dict(session.exec(select(SplitAssignment.document_sha256, SplitAssignment.split)).all())
