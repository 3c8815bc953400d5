"""Small builders the security tests share: a workspace with exportable labels, a W-2 label."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from PIL import Image, ImageDraw

from curator.curate.splits import assign_splits
from curator.samples.review_load import populate_for_review
from curator.store.models import Document, Label, LabelStatus, Page
from curator.workspace import Workspace, init_workspace

PASSWORD = "correct horse battery"
SSN = "912-34-5678"


def exportable_workspace(root: Path, n: int = 40) -> Workspace:
    """Invoices with auto-accepted labels and splits: ``export`` has something to write."""
    ws = init_workspace(root)
    populate_for_review(ws, n, seed=21)
    assign_splits(ws, actor="admin", seed=1)
    return ws


def w2_label(ws: Workspace, ssn: str = SSN, status: str = LabelStatus.NEEDS_REVIEW) -> int:
    """A W-2 document whose label holds an SSN (and a page image that prints it)."""
    sha = hashlib.sha256(f"w2:{ssn}".encode()).hexdigest()
    buffer = io.BytesIO()
    image = Image.new("L", (300, 80), 255)
    ImageDraw.Draw(image).text((10, 30), f"a Employee's SSN {ssn}", fill=0)
    image.save(buffer, format="PNG")
    page = ws.blobs.put(buffer.getvalue(), kind="pages", suffix=".png")
    fields = {"employee.ssn": {"value": ssn, "source": "erp", "agent": "payroll", "confidence": 0.9},
              "employee.name": {"value": "Ann Example", "source": "erp", "agent": "payroll", "confidence": 0.9}}
    with ws.session() as session:
        session.add(Document(sha256=sha, file_name="w2-ann.pdf", source_uri="test://w2", mime="application/pdf",
                             size_bytes=1, page_count=1, document_class="w2", original_blob=page, renderer="test",
                             dpi=100))
        session.add(Page(document_sha256=sha, index=0, blob_key=page, width=10, height=10, dpi=100, phash="0" * 16))
        label = Label(document_sha256=sha, schema_name="w2", schema_version="1", fields=json.dumps(fields),
                      status=status)
        session.add(label)
        session.commit()
        return label.id
