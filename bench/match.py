"""Matching at scale: 10k and 100k records against as many documents, text already extracted.

Documents get the text their text layer would have (the invoice as printed, in its
vendor's formats); records are the matching RBKP rows. Both are bulk-inserted into a
fresh SQLite workspace, then ``match_records`` is timed. Blocking means no
record-document pair outside a short candidate list is scored, so 10x the data should
cost about 10x the time (goal: at most 11x), and the candidate index lives on disk, so
matching's peak memory stays flat (goal: 100k x 100k under 1,000 MB). Each size is matched in
a fresh process, so its peak RSS is matching's own.

    .venv/bin/python bench/match.py [--small 10000] [--factor 10]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curator.mapping.rules import load_mapping  # noqa: E402
from curator.matching.stage import match_records  # noqa: E402
from curator.records.pull import canonical_json  # noqa: E402
from curator.samples import invoices as inv  # noqa: E402
from curator.store.models import Document, ErpRecord, Page  # noqa: E402
from curator.workspace import init_workspace, open_workspace  # noqa: E402


NOW = datetime(2020, 1, 1, tzinfo=timezone.utc)


def invoice_text(label: dict, vendor: inv.Vendor) -> str:
    fmt_date = lambda iso: inv.format_date(iso, vendor.date_style)  # noqa: E731
    fmt = lambda v: inv.format_amount(v, vendor.number_style)  # noqa: E731
    lines = [label["seller_name"], label["seller_address"], f"VAT ID {label['seller_vat_id']}", "INVOICE",
             f"Invoice No.: {label['invoice_number']}", f"Invoice date: {fmt_date(label['invoice_date'])}",
             f"Bill to {label['buyer_name']} {label['buyer_address']}"]
    for item in label["line_items"]:
        lines.append(f"{item['description']} {inv.format_quantity(item['quantity'])} {fmt(item['unit_price'])} "
                     f"{fmt(item['amount'])}")
    lines += [f"Subtotal {fmt(label['subtotal'])}", f"VAT {fmt(label['tax'])}",
              f"Total {fmt(label['total'])} {label['currency']}"]
    return "\n".join(lines)


def build(workspace, n: int, seed: int, chunk: int = 5000) -> None:
    """Generate and insert ``chunk`` documents at a time: the build's own memory stays flat."""
    rng = random.Random(seed)
    vendors = inv.make_vendors(rng, count=max(50, n // 50))
    serial = {v.number: rng.randint(10, 900) for v in vendors}
    documents, pages, records = [], [], []
    lfa1 = {v.number: inv.lfa1_row(v) for v in vendors}
    for index in range(n):
        if len(documents) >= chunk:
            _insert(workspace, documents, pages, records)
            documents, pages, records = [], [], []
        vendor = rng.choice(vendors)
        serial[vendor.number] += 1
        company = "1000" if rng.random() < 0.7 else "2000"
        year = rng.choice((2016, 2017, 2018, 2019))
        label = inv.make_invoice_label(rng, vendor, company, serial[vendor.number], year, long_order=False)
        sha = f"{index:064x}"
        name = f"scan_{index:06d}.pdf" if rng.random() < 0.4 else f"{label['invoice_number'].replace('/', '_')}.pdf"
        documents.append({"sha256": sha, "file_name": name, "source_uri": f"bench://{name}", "mime": "application/pdf",
                          "size_bytes": 1, "page_count": 1, "document_class": "invoice", "status": "ingested",
                          "text_chars": 1, "original_blob": "", "renderer": "bench", "dpi": 150,
                          "created_at": NOW})
        pages.append({"document_sha256": sha, "index": 0, "blob_key": "", "width": 1, "height": 1, "dpi": 150,
                      "phash": "0" * 16, "needs_ocr": False, "text": invoice_text(label, vendor)})
        posted = date.fromisoformat(label["invoice_date"]) + timedelta(days=3)
        row = inv.rbkp_row(label, vendor, company, str(5100000000 + index), year, posted)
        row = {k: (inv.format_amount(v, "de") if k in ("RMWWR", "WMWST1") else v) for k, v in row.items()}
        records.append({"source": "rbkp", "record_key": inv.rbkp_key(row), "raw": canonical_json(row),
                        "content_hash": str(index), "row_number": index, "fetched_at": NOW, "updated_at": NOW})
    for number, row in lfa1.items():
        records.append({"source": "lfa1", "record_key": number, "raw": canonical_json(row), "content_hash": number,
                        "row_number": 0, "fetched_at": NOW, "updated_at": NOW})
    _insert(workspace, documents, pages, records)


def _insert(workspace, documents: list, pages: list, records: list) -> None:
    with workspace.engine.begin() as connection:
        for table, rows in ((Document, documents), (Page, pages), (ErpRecord, records)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table.__table__), rows[start:start + 5000])


def _match_in_child(root: str, out) -> None:
    """Runs in a fresh process: its peak RSS is matching's alone (the build ran elsewhere)."""
    workspace = open_workspace(Path(root))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    started = time.perf_counter()
    report = match_records(workspace, load_mapping("invoice-sap"), actor="admin")
    seconds = time.perf_counter() - started
    workspace.close()
    out.send({"seconds": round(seconds, 2), "auto": report.auto, "pairs_scored": report.pairs_scored,
              "ambiguous": report.ambiguous_records, "rss_before_mb": before,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "phases": report.phases})


def measure(n: int, scratch: Path) -> dict:
    import multiprocessing

    root = scratch / f"ws-{n}"
    workspace = init_workspace(root)
    build(workspace, n, seed=n)
    workspace.close()
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_match_in_child, args=(str(root), send))
    child.start()
    result = receive.recv()
    child.join()
    return {"n": n, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "match.json")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="curator-bench-match-"))
    try:
        small = measure(args.small, scratch)
        large = measure(args.small * args.factor, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = large["seconds"] / small["seconds"]
    for result in (small, large):
        print(f"{result['n']:>8} records x {result['n']:>8} documents: {result['seconds']:>8.2f} s, "
              f"{result['pairs_scored']:>8} pairs scored, {result['auto']:>8} linked, peak RSS {result['peak_rss_mb']} MB")
    print("seconds per phase (ratio): " + ", ".join(
        f"{name} {small['phases'][name]} -> {large['phases'][name]} ({large['phases'][name] / max(small['phases'][name], 0.01):.1f}x)"
        for name in large["phases"]))
    goal = 1.1 * args.factor
    print(f"time ratio for {args.factor}x the data: {ratio:.2f}x (goal <= {goal:.0f}x: {'met' if ratio <= goal else 'MISSED'})")
    print(f"large run peak RSS {large['peak_rss_mb']} MB (goal < 1000 MB: "
          f"{'met' if large['peak_rss_mb'] < 1000 else 'MISSED'})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"small": small, "large": large, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
