"""Pushing 5,000 tasks to a real Label Studio server in chunks, without time-outs.

A fresh Label Studio (``.venv-labelstudio``, started as the tests start it) and a workspace of
5,000 invoice labels under its document root. Measured in the same run:

- ``raw``: the same task payloads (pages as Local Files URLs, one prediction each) sent with
  the SDK's ``import_tasks`` in chunks of the same size, nothing else: the floor.
- ``push``: ``curator labelstudio push`` (interface from the schema, storage, predictions,
  the stored document-to-task mapping), then a second push (nothing to do) and a pull.

    .venv/bin/python bench/labelstudio.py [--documents 5000] [--chunk-size 500]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import labelstudio_server  # noqa: E402
from curator.labelstudio.client import connect  # noqa: E402
from curator.labelstudio.interface import build_interface  # noqa: E402
from curator.labelstudio.pull import pull  # noqa: E402
from curator.labelstudio.push import DOCUMENT_CLASSES, push  # noqa: E402
from curator.labelstudio.results import prediction_results  # noqa: E402
from curator.samples.review_load import populate_for_review  # noqa: E402
from curator.schemas import builtin_schema  # noqa: E402
from curator.store.models import Document, Label, Page  # noqa: E402
from curator.workspace import init_workspace  # noqa: E402
from sqlmodel import select  # noqa: E402

STATUSES = ("needs_review", "auto_accepted")


def raw_payloads(ws, root: Path) -> list[dict]:
    interface = build_interface(builtin_schema("invoice"), DOCUMENT_CLASSES)
    payloads = []
    with ws.session() as session:
        rows = session.exec(select(Label, Document, Page).join(Document, Document.sha256 == Label.document_sha256)
                            .join(Page, Page.document_sha256 == Document.sha256)).all()
        for label, document, page in rows:
            url = "/data/local-files/?d=" + ws.blobs.path(page.blob_key).resolve().relative_to(root).as_posix()
            payloads.append({"data": {"pages": [url], "file_name": document.file_name},
                             "predictions": [{"model_version": "raw", "score": 1.0, "result": prediction_results(
                                 json.loads(label.fields), interface, document.document_class)}]})
    return payloads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--chunk-size", type=int, default=500)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-ls-"))
    server = labelstudio_server.start(base)
    try:
        ws = init_workspace(server.document_root / "ws")
        populate_for_review(ws, args.documents, seed=8)
        client = connect(server.url, server.token)
        payloads = raw_payloads(ws, server.document_root)
        raw_project = client.projects.create(title="raw", label_config=build_interface(
            builtin_schema("invoice"), DOCUMENT_CLASSES).config)
        started = time.perf_counter()
        chunk_times = []
        for start in range(0, len(payloads), args.chunk_size):
            chunk_started = time.perf_counter()
            client.projects.import_tasks(id=raw_project.id, request=payloads[start:start + args.chunk_size],
                                         return_task_ids=True)
            chunk_times.append(time.perf_counter() - chunk_started)
        raw_seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = push(ws, client, server.url, actor="admin", project="Invoices", schema_name="invoice", statuses=STATUSES,
                      local_root=str(server.document_root), chunk_size=args.chunk_size)
        push_seconds = time.perf_counter() - started
        again = push(ws, client, server.url, actor="admin", project="Invoices", schema_name="invoice", statuses=STATUSES,
                     local_root=str(server.document_root), chunk_size=args.chunk_size)
        pulled = pull(ws, client, server.url, actor="admin", project="Invoices", schema_name="invoice")
        tasks = client.projects.get(id=report.project_id).task_number
        result = {
            "documents": args.documents, "chunk_size": args.chunk_size, "tasks_in_project": tasks,
            "raw_import_s": round(raw_seconds, 1), "raw_slowest_chunk_s": round(max(chunk_times), 1),
            "push_s": round(push_seconds, 1), "push_tasks_per_s": round(report.tasks_created / push_seconds, 1),
            "push_vs_raw": round(raw_seconds / push_seconds, 2), "chunks": report.chunks,
            "second_push_s": again.seconds, "second_push_created": again.tasks_created,
            "pull_nothing_s": pulled.seconds,
        }
        print(json.dumps(result, indent=2))
        ws.close()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
