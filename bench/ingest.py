"""Ingest throughput against plain pypdfium2 rendering of the same pages, in the same run.

Baseline ("plain"): open each PDF with pypdfium2, render every page at the workspace DPI
(same pixel cap) and encode it as an RGB PNG at the same compression level -- the least any
ingest must do. Ingest adds hashing, type checks, text extraction, perceptual hashes,
blob writes and database commits, and stores colourless pages as grey PNGs (the default);
"ingest_rgb" turns that off so every page is encoded exactly as the baseline encodes it.
All are measured with 1 and 2 worker processes.

Goals (issue #2): ingest >= 0.8x plain throughput; 2 workers >= 1.7x 1 worker.

    .venv/bin/python bench/ingest.py [--docs 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.documents import FolderSource  # noqa: E402
from curator.config import IngestConfig  # noqa: E402
from curator.ingest.documents import ingest_documents  # noqa: E402
from curator.ingest.render import capped_scale  # noqa: E402
from curator.samples.corpus import generate_corpus  # noqa: E402
from curator.workspace import init_workspace  # noqa: E402

SETTINGS = IngestConfig()


def plain_render(path: str) -> int:
    pdf = pdfium.PdfDocument(path)
    pages = 0
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        scale = capped_scale(width, height, SETTINGS.dpi / 72, SETTINGS.max_pixels)
        image = page.render(scale=scale).to_pil()
        image.save(io.BytesIO(), format="PNG", compress_level=SETTINGS.png_compress_level)
        page.close()
        pages += 1
    pdf.close()
    return pages


def measure_plain(files: list[str], workers: int) -> tuple[int, float]:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pages = sum(pool.map(plain_render, files, chunksize=1))
    return pages, time.perf_counter() - started


def measure_ingest(documents: Path, workers: int, scratch: Path, grey: bool = True) -> tuple[int, float]:
    workspace_dir = scratch / f"ws-{workers}-{time.monotonic_ns()}"
    workspace = init_workspace(workspace_dir)
    workspace.config.ingest.grey_when_colourless = grey
    started = time.perf_counter()
    report = ingest_documents(workspace, FolderSource(documents), actor="admin", workers=workers, read_pages=False)
    elapsed = time.perf_counter() - started
    workspace.close()
    shutil.rmtree(workspace_dir)
    assert report.ok and report.documents_added > 0
    return report.pages_rendered, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=60, help="documents per corpus (W-2 and invoices)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "ingest.json")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="curator-bench-"))
    try:
        documents = scratch / "documents"
        documents.mkdir()
        for kind in ("w2", "invoices"):
            generate_corpus(kind, args.docs, seed=1, out=scratch / kind, noise=0.0)
            for path in (scratch / kind / "documents").iterdir():
                path.rename(documents / f"{kind}-{path.name}")
        files = sorted(str(p) for p in documents.iterdir())
        results: dict[str, dict[str, float]] = {}
        for workers in (1, 2):
            for label, run in (("plain", lambda w=workers: measure_plain(files, w)),
                               ("ingest", lambda w=workers: measure_ingest(documents, w, scratch)),
                               ("ingest_rgb", lambda w=workers: measure_ingest(documents, w, scratch, grey=False))):
                rates, pages = [], 0
                for _ in range(args.repeat):
                    pages, seconds = run()
                    rates.append(pages / seconds)
                results[f"{label}_{workers}"] = {"pages": pages, "pages_per_second": statistics.median(rates),
                                                 "runs": [round(r, 2) for r in rates]}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rate = {key: value["pages_per_second"] for key, value in results.items()}
    ratios = {
        "ingest_vs_plain_1_worker": rate["ingest_1"] / rate["plain_1"],
        "ingest_vs_plain_2_workers": rate["ingest_2"] / rate["plain_2"],
        "ingest_2_vs_1_workers": rate["ingest_2"] / rate["ingest_1"],
        "ingest_rgb_vs_plain_1_worker": rate["ingest_rgb_1"] / rate["plain_1"],
        "ingest_rgb_vs_plain_2_workers": rate["ingest_rgb_2"] / rate["plain_2"],
        "ingest_rgb_2_vs_1_workers": rate["ingest_rgb_2"] / rate["ingest_rgb_1"],
        "plain_2_vs_1_workers": rate["plain_2"] / rate["plain_1"],
    }
    pages = results["plain_1"]["pages"]
    print(f"{len(files)} PDFs, {pages} pages, {SETTINGS.dpi} dpi, PNG level {SETTINGS.png_compress_level}, "
          f"median of {args.repeat} runs")
    print(f"{'run':<14}{'pages/s':>10}")
    for key, value in results.items():
        print(f"{key:<14}{value['pages_per_second']:>10.1f}")
    goals = {"ingest_vs_plain_1_worker": 0.8, "ingest_vs_plain_2_workers": 0.8, "ingest_2_vs_1_workers": 1.7}
    for name, value in ratios.items():
        goal = goals.get(name)
        verdict = "" if goal is None else (f"  (goal >= {goal}: {'met' if value >= goal else 'MISSED'})")
        print(f"{name:<32}{value:>6.2f}x{verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": results, "ratios": ratios, "pages": pages}, indent=2))


if __name__ == "__main__":
    main()
