"""Export at scale: 100,000 samples written streaming; time per sample and peak memory.

Builds a workspace with N auto-accepted invoice labels (realistic values), their split
assignments and 1,000 distinct page images (documents reuse them, so the benchmark
measures the pipeline rather than the PNG encoder), then runs ``export_dataset`` for
ms-swift and Bedrock Nova each in a fresh child process and reads that process's peak
resident memory. Goal (issue #4): peak memory under 500 MB.

    .venv/bin/python bench/export.py [--n 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2020, 1, 1, tzinfo=timezone.utc)


def build(root: Path, n: int) -> None:
    import io

    import numpy as np
    from PIL import Image
    from sqlalchemy import insert

    from curator.labels.compare import flatten
    from curator.samples import invoices as inv
    from curator.store.models import Document, Label, Page, SplitAssignment
    from curator.workspace import init_workspace

    workspace = init_workspace(root)
    rng = random.Random(1)
    noise = np.random.default_rng(1)
    keys = []
    for i in range(1000):
        buffer = io.BytesIO()
        Image.fromarray(noise.integers(200, 256, (700, 500), dtype=np.uint8), mode="L").save(buffer, format="PNG")
        keys.append(workspace.blobs.put(buffer.getvalue(), kind="pages", suffix=".png"))
    vendors = inv.make_vendors(rng, count=60)
    splits = ("train",) * 8 + ("validation", "test")
    batch: dict = {Document: [], Page: [], Label: [], SplitAssignment: []}

    def flush() -> None:
        with workspace.engine.begin() as connection:
            for model, rows in batch.items():
                if rows:
                    connection.execute(insert(model.__table__), rows)
                rows.clear()

    for index in range(n):
        sha = f"{index:064x}"
        label = inv.make_invoice_label(rng, rng.choice(vendors), "1000", index, 2019, long_order=False)
        # Every field decided (the generator knows what the invoice prints): a value, or absent.
        fields = {path: {"state": "value" if value is not None else "absent", "value": value, "source": "erp",
                         "agent": "bench", "confidence": 0.9, "at": "2020"}
                  for path, value in flatten(label).items()}
        batch[Document].append({"sha256": sha, "file_name": f"{index}.pdf", "source_uri": "bench", "mime": "application/pdf",
                                "size_bytes": 1, "page_count": 1, "document_class": "invoice", "status": "ingested",
                                "text_chars": 0, "original_blob": "", "renderer": "bench", "dpi": 150, "created_at": NOW})
        batch[Page].append({"document_sha256": sha, "index": 0, "blob_key": keys[index % len(keys)], "width": 500,
                            "height": 700, "dpi": 150, "phash": "0" * 16, "needs_ocr": False, "text": ""})
        batch[Label].append({"document_sha256": sha, "schema_name": "invoice", "schema_version": "1",
                             "fields": json.dumps(fields), "gaps": "[]", "problems": "[]", "status": "auto_accepted",
                             "version": 1, "created_at": NOW, "updated_at": NOW})
        batch[SplitAssignment].append({"document_sha256": sha, "split": splits[index % 10], "group_key": sha,
                                       "strategy": "bench", "seed": 0, "assigned_at": NOW})
        if len(batch[Document]) >= 5000:
            flush()
    flush()
    workspace.close()


def child(root: Path, fmt: str, out: Path) -> None:
    from curator.curate.export import export_dataset
    from curator.workspace import open_workspace

    workspace = open_workspace(root)
    started = time.perf_counter()
    result = export_dataset(workspace, actor="admin", fmt=fmt, schema_name="invoice", dest=str(out),
                            s3_prefix="s3://bench/ds" if fmt.startswith("bedrock") else None)
    seconds = time.perf_counter() - started
    samples = sum(result.counts.values())
    print(json.dumps({"format": fmt, "samples": samples, "seconds": round(seconds, 1),
                      "ms_per_sample": round(1000 * seconds / samples, 3),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "valid": not [e for e in result.validation["errors"] if "at most" not in e],
                      "errors": result.validation["errors"][:3]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("WORKSPACE", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "export.json")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], Path(args.child[2]))
        return
    scratch = Path(tempfile.mkdtemp(prefix="curator-bench-export-"))
    try:
        started = time.perf_counter()
        build(scratch / "ws", args.n)
        print(f"built {args.n} labelled documents in {time.perf_counter() - started:.0f} s")
        results = []
        for fmt in ("swift", "bedrock-nova"):
            output = subprocess.run([sys.executable, __file__, "--child", str(scratch / "ws"), fmt,
                                     str(scratch / f"out-{fmt}")], capture_output=True, text=True, check=True)
            result = json.loads(output.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{fmt:<13} {result['samples']} samples in {result['seconds']} s = {result['ms_per_sample']} ms/sample, "
                  f"peak RSS {result['peak_rss_mb']} MB (goal < 500 MB: "
                  f"{'met' if result['peak_rss_mb'] < 500 else 'MISSED'}), valid: {result['valid']}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
