"""A workspace full of invoices waiting for review, for load tests of the review queue and UI.

Real ingest and bootstrap of 50,000 documents takes an hour; the queue only needs what they
leave behind: documents, page images, labels with provenance, conflicts, suspect values and
teacher-only fields, triaged. Labels come from the same invoice generator as the corpus; page
images are drawn from the label (a few dozen distinct images, shared by content hash).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import insert

from curator.curate.triage import judge
from curator.labels.compare import flatten
from curator.labels.paths import gaps
from curator.progress import ProgressHook, SilentProgress
from curator.samples.invoices import BUYERS, make_invoice_label, make_vendors
from curator.schemas import builtin_schema
from curator.store.models import (
    Document,
    DocumentStatus,
    Label,
    LabelStatus,
    Page,
    utcnow,
)
from curator.workspace import Workspace

DISTINCT_PAGES = 40


def _page_image(label: dict[str, Any]) -> bytes:
    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    y = 40
    for key in ("seller_name", "seller_address", "invoice_number", "invoice_date", "due_date", "buyer_name",
                "currency", "subtotal", "tax", "total"):
        draw.text((50, y), f"{key.replace('_', ' ')}: {label.get(key)}", fill=0)
        y += 28
    for item in label["line_items"][:20]:
        draw.text((50, y), f"{item['description']}  {item['quantity']} x {item['unit_price']} = {item['amount']}",
                  fill=0)
        y += 22
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


DISTINCT_LABELS = 5000  # above this, labels repeat (with their own documents): the queue only sees rows


def _label_template(rng: random.Random, vendors, companies, i: int, schema, config) -> dict[str, Any]:
    """One triaged invoice label (fields, gaps, status, priority, score) as stored."""
    vendor = rng.choice(vendors)
    truth = make_invoice_label(rng, vendor, rng.choice(companies), 10000 + i, rng.choice([2018, 2019]),
                               long_order=False)
    # Every field decided, as after a bootstrap whose mapping covers the whole schema: a
    # value, or absent where the invoice prints nothing (the generator knows).
    fields = {path: {"state": "value" if value is not None else "absent", "value": value,
                     "source": "erp", "agent": "load", "confidence": 0.9, "at": "2026-01-01"}
              for path, value in flatten(truth).items()}
    roll = rng.random()
    if roll < 0.10:
        fields["total"].update(conflict=True, confidence=0.3, candidates=[
            {"value": truth["total"], "source": "erp", "agent": "load"},
            {"value": round(truth["total"] + 10, 2), "source": "teacher", "agent": "nova"}])
    elif roll < 0.25:
        for path, value in flatten({"line_items": truth["line_items"]}).items():
            fields[path] = {"state": "value", "value": value, "source": "teacher", "agent": "nova",
                            "confidence": 0.7, "at": "2026-01-01"}
    elif roll < 0.30:
        fields["buyer_address"]["suspect"] = True
        fields["buyer_address"]["confidence"] = 0.3
    label = Label(document_sha256="", schema_name="invoice", schema_version="1",
                  fields=json.dumps(fields, sort_keys=True), gaps=json.dumps(gaps(schema, fields)))
    verdict = judge(label, schema, config)
    return {"truth": truth, "fields": label.fields, "gaps": label.gaps, "priority": verdict.priority,
            "score": verdict.score,
            "status": LabelStatus.NEEDS_REVIEW if verdict.reasons else LabelStatus.AUTO_ACCEPTED}


def populate_for_review(workspace: Workspace, n: int, *, seed: int = 3, batch: int = 5000,
                        progress: ProgressHook | None = None) -> dict[str, int]:
    """Add ``n`` triaged invoice labels: ~10% with a conflict, ~15% with teacher-only values,
    ~5% with a suspect value; the rest clean (auto-accepted).

    Rows go in as plain multi-row inserts, a batch at a time (no ORM object per row): a million
    labels for the review benchmark on PostgreSQL load in minutes, not the better part of an hour.
    """
    rng = random.Random(seed)
    schema = builtin_schema("invoice")
    config = workspace.config.triage
    vendors = make_vendors(rng)
    companies = sorted(BUYERS)
    progress = progress or SilentProgress()
    progress.start(n, "review load")
    pages: list[tuple[str, int, int]] = []
    templates: list[dict[str, Any]] = []
    counts = {"documents": 0, "needs_review": 0, "auto_accepted": 0}
    now = utcnow()
    for start in range(0, n, batch):
        documents, page_rows, labels = [], [], []
        for i in range(start, min(n, start + batch)):
            if len(templates) < DISTINCT_LABELS:
                templates.append(_label_template(rng, vendors, companies, i, schema, config))
            template = templates[i % DISTINCT_LABELS]
            if len(pages) < DISTINCT_PAGES:
                data = _page_image(template["truth"])
                pages.append((workspace.blobs.put(data, kind="page", suffix=".png"), 850, 1100))
            blob, width, height = pages[i % len(pages)]
            sha = hashlib.sha256(f"review-load:{seed}:{i}".encode()).hexdigest()
            documents.append({"sha256": sha, "file_name": f"invoice-{i:06d}.pdf", "source_uri": f"load://{i}",
                              "mime": "application/pdf", "size_bytes": 50_000, "page_count": 1,
                              "document_class": "invoice", "status": DocumentStatus.INGESTED, "text_chars": 0,
                              "original_blob": blob, "renderer": "load", "dpi": 100, "created_at": now})
            page_rows.append({"document_sha256": sha, "index": 0, "blob_key": blob, "width": width, "height": height,
                              "dpi": 100, "phash": f"{i:016x}", "needs_ocr": False, "text": ""})
            labels.append({"document_sha256": sha, "schema_name": "invoice", "schema_version": "1",
                           "fields": template["fields"], "gaps": template["gaps"], "problems": "[]",
                           "status": template["status"], "priority": template["priority"],
                           "score": template["score"], "version": 1, "created_at": now, "updated_at": now})
            counts[template["status"]] += 1
            counts["documents"] += 1
        with workspace.session() as session:
            for table, rows in ((Document, documents), (Page, page_rows), (Label, labels)):
                session.execute(insert(table), rows)
            session.commit()
        progress.advance(len(documents))
    return counts
