"""OCR throughput: Curator's page reading against the OCR engine's own bare call, same pages.

Generates scanned invoices (image-only PDFs, TIFF, PNG, JPEG with scan noise), ingests them
without reading, then:

1. ``bare``: RapidOCR called directly on each page image, one after another in this process,
   with ONNX Runtime's default threading (all cores) -- the engine as its README uses it;
2. ``curator``: ``ocr_pending_pages`` on the same pages -- worker processes (one engine each,
   one thread each), boxes normalised, lines stored in the blob store and the store updated
   page by page.

Prints pages per second for both and their ratio (goal: at least 0.8x), as JSON.

    .venv/bin/python bench/ocr.py [--documents 30] [--workers 2]
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

from sqlmodel import select

from connectors.documents import FolderSource
from curator.ingest.documents import ingest_documents
from curator.ingest.ocr import ocr_pending_pages
from curator.samples.corpus import generate_corpus
from curator.store.models import Page
from curator.workspace import init_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="curator-bench-ocr-"))
    try:
        generate_corpus("invoices", args.documents, 7, scratch / "corpus", noise=1.0)
        ws = init_workspace(scratch / "ws")
        ingest_documents(ws, FolderSource(scratch / "corpus" / "documents"), document_class="invoice",
                         actor="admin", read_pages=False)
        with ws.session() as session:
            scans = session.exec(select(Page).where(Page.needs_ocr == True)).all()
            with_text = session.exec(select(Page).where(Page.needs_ocr == False)).all()
        paths = sorted({str(ws.blobs.path(page.blob_key)) for page in scans})

        import numpy as np
        from PIL import Image
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR()
        with Image.open(paths[0]) as image:
            engine(np.asarray(image.convert("RGB")))  # warm-up, as the workers' first page pays it too
        started = time.perf_counter()
        for path in paths:
            with Image.open(path) as image:
                engine(np.asarray(image.convert("RGB")))
        bare = time.perf_counter() - started

        started = time.perf_counter()
        report = ocr_pending_pages(ws, actor="admin", workers=args.workers)
        ours = time.perf_counter() - started
        ws.close()
        result = {
            "scanned_pages": len(paths), "text_layer_pages": len(with_text), "workers": args.workers,
            "bare": {"seconds": round(bare, 2), "pages_per_second": round(len(paths) / bare, 3)},
            "curator": {"seconds": round(ours, 2), "pages_per_second": round(report.pages / ours, 3),
                        "pages_ocrd": report.pages, "pages_with_words": report.pages_with_words},
            "ratio": round((report.pages / ours) / (len(paths) / bare), 2),
        }
        print(json.dumps(result, indent=2))
        print("goal met" if result["ratio"] >= 0.8 else "GOAL MISSED")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
