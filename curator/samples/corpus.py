"""Write a whole synthetic corpus: documents, the historic system export, ground truth.

Layout of ``DIR``::

    documents/        the files (clean PDFs, and scans as PDF/TIFF/PNG/JPEG)
    erp/              what the company's system stored (SAP RBKP+LFA1, or a payroll export)
    truth/labels.jsonl   {"file", "label"}: the true target JSON of every document file
    truth/matches.jsonl  {"file", "record_key"}: which export record each document belongs to

The export is deliberately imperfect, as real ones are: fields the documents print but
the system never stored, some values that differ from the print, duplicate rows,
records without a document, documents without a record, and file names that do not
carry the document number.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import random
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from curator.progress import ProgressHook, SilentProgress
from curator.samples import invoices as inv
from curator.samples import w2
from curator.samples.noise import save_scan, scanned_pages

KINDS = ("w2", "invoices")


@dataclass
class CorpusReport:
    kind: str
    out: str
    documents: int = 0
    scanned: int = 0
    pages: int = 0
    records: int = 0
    records_without_document: int = 0
    documents_without_record: int = 0
    duplicate_rows: int = 0
    altered_values: int = 0
    names_without_number: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Doc:
    file: str
    label: dict[str, Any]
    record_key: str | None


def generate_corpus(kind: str, n: int, seed: int, out: Path, *, noise: float = 0.3,
                    progress: ProgressHook | None = None) -> CorpusReport:
    if kind not in KINDS:
        raise ValueError(f"unknown corpus kind {kind!r}; choose from {', '.join(KINDS)}")
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 <= noise <= 1.0:
        raise ValueError("noise must be a fraction between 0 and 1")
    out = Path(out)
    for sub in ("documents", "erp", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    progress = progress or SilentProgress()
    progress.start(n, f"samples {kind}")
    report = CorpusReport(kind=kind, out=str(out))
    builder = _W2Corpus if kind == "w2" else _InvoiceCorpus
    docs = builder(random.Random(f"{kind}:{seed}"), out, noise, report, progress.advance).build(n)
    with open(out / "truth" / "labels.jsonl", "w", encoding="utf-8") as labels, \
            open(out / "truth" / "matches.jsonl", "w", encoding="utf-8") as matches:
        for doc in docs:
            labels.write(json.dumps({"file": doc.file, "label": doc.label}, sort_keys=True) + "\n")
            if doc.record_key:
                matches.write(json.dumps({"file": doc.file, "record_key": doc.record_key}, sort_keys=True) + "\n")
    return report


class _CorpusBuilder:
    def __init__(self, rng: random.Random, out: Path, noise: float, report: CorpusReport,
                 advance: Callable[[int], None]) -> None:
        self.rng, self.out, self.noise, self.report, self.advance = rng, out, noise, report, advance
        self.used_names: set[str] = set()

    def _unique(self, stem: str) -> str:
        candidate, counter = stem, 2
        while candidate in self.used_names:
            candidate = f"{stem}_{counter}"
            counter += 1
        self.used_names.add(candidate)
        return candidate

    def _write_document(self, stem: str, draw: Callable[[str], int | None], pages_hint: int = 1) -> str:
        """Draw a clean PDF, then keep it or turn it into a scan; returns the file name."""
        stem = self._unique(stem)
        clean = self.out / "documents" / f"{stem}.pdf"
        draw(str(clean))
        if self.rng.random() < self.noise:
            with tempfile.TemporaryDirectory() as tmp:
                moved = Path(tmp) / "clean.pdf"
                clean.replace(moved)
                pages = scanned_pages(moved, self.rng)
                path = save_scan(pages, self.out / "documents" / stem, self.rng)
            self.report.scanned += 1
            self.report.pages += len(pages)
        else:
            path = clean
            self.report.pages += pages_hint
        suffix = path.suffix.lstrip(".")
        self.report.formats[suffix] = self.report.formats.get(suffix, 0) + 1
        self.report.documents += 1
        self.advance(1)
        return path.name

    def _export(self, row: dict[str, Any], rows: list[dict[str, Any]], has_document: bool) -> bool:
        """Put a record into the export the way history does: most documents have one
        (now and then altered or exported twice), some records have no document and some
        documents no record. Returns whether the record was exported."""
        has_record = not has_document or self.rng.random() > 0.04
        if has_record:
            self.report.altered_values += self._alter(row)
            rows.append(row)
            if self.rng.random() < 0.02:
                rows.append(dict(row))
                self.report.duplicate_rows += 1
        if not has_document:
            self.report.records_without_document += 1
        elif not has_record:
            self.report.documents_without_record += 1
        return has_record

    def _count_layout(self, layout: str) -> None:
        self.report.layouts[layout] = self.report.layouts.get(layout, 0) + 1

    def _anonymous_stem(self, index: int) -> str:
        self.report.names_without_number += 1
        return self.rng.choice([
            f"scan_{index:04d}",
            f"IMG_{20190000 + self.rng.randint(101, 1231)}_{self.rng.randint(100000, 999999)}",
            f"Document ({self.rng.randint(1, 40)})",
            f"{self.rng.getrandbits(32):08x}",
            f"Scan {self.rng.randint(1, 28):02d}.{self.rng.randint(1, 12):02d}.2019",
        ])


class _W2Corpus(_CorpusBuilder):
    def build(self, n: int) -> list[_Doc]:
        rng = self.rng
        employers = w2.make_employers(rng)
        employees = w2.make_employees(rng, max(1, (n * 10) // 22 + 1))
        pairs = [(e, y) for e in employees for y in w2.YEARS]
        rng.shuffle(pairs)
        extra = max(1, n // 20)
        chosen = pairs[: n + extra]
        docs: list[_Doc] = []
        rows: list[dict[str, Any]] = []
        for index, (employee, year) in enumerate(chosen):
            employer = employers[int(employee.employee_id[1:]) % len(employers)]
            if rng.random() < 0.1:
                employer = rng.choice(employers)
            label = w2.make_w2_label(rng, employee, employer, year)
            row = w2.payroll_row(employee, employer, label)
            has_document = index < n
            has_record = self._export(row, rows, has_document)
            if not has_document:
                continue
            roll = rng.random()
            if roll < 0.4:
                stem = f"W2_{year}_{employee.employee_id}"
            elif roll < 0.6:
                stem = f"w2-{employee.person.last.lower().replace(chr(39), '')}-{year}"
                self.report.names_without_number += 1
            else:
                stem = self._anonymous_stem(index)
            variant = rng.choice(w2.VARIANTS)
            self._count_layout(variant)
            name = self._write_document(stem, lambda path: w2.render_w2(path, label, variant))
            docs.append(_Doc(file=name, label=label, record_key=w2.payroll_key(row) if has_record else None))
        rng.shuffle(rows)
        self.report.records = len(rows)
        _write_table(self.out / "erp" / "payroll_w2", rows, delimiter=",", encoding="utf-8")
        return docs

    def _alter(self, row: dict[str, Any]) -> int:
        """Now and then the payroll system holds something other than what was printed."""
        rng = self.rng
        if rng.random() >= 0.05:
            return 0
        choice = rng.choice(["withholding", "zip", "name"])
        if choice == "withholding":
            row["FED_WITHHOLDING"] = round(row["FED_WITHHOLDING"] + rng.choice([-1, 1]) * rng.uniform(5, 90), 2)
        elif choice == "zip":
            row["ZIP"] = f"{int(row['ZIP']) + rng.randint(1, 9):05d}"
        else:
            row["MIDDLE_INITIAL"] = ""
            row["LAST_NAME"] = row["LAST_NAME"].upper()
        return 1


class _InvoiceCorpus(_CorpusBuilder):
    def build(self, n: int) -> list[_Doc]:
        rng = self.rng
        vendors = inv.make_vendors(rng, count=max(len(inv.LAYOUTS), min(40, n // 4)))
        moved = {v.number for v in rng.sample(vendors, max(1, len(vendors) // 8))}
        serials = {v.number: rng.randint(10, 900) for v in vendors}
        next_belnr: dict[tuple[str, int], int] = {}
        extra = max(1, n // 20)
        docs: list[_Doc] = []
        rows: list[dict[str, Any]] = []
        for index in range(n + extra):
            vendor = rng.choice(vendors)
            company_code = "1000" if rng.random() < 0.7 else "2000"
            year = rng.choice((2017, 2018, 2019))
            serials[vendor.number] += rng.randint(1, 30)
            label = inv.make_invoice_label(rng, vendor, company_code, serials[vendor.number], year,
                                           long_order=rng.random() < 0.12)
            number = next_belnr.setdefault((company_code, year), 5105600000 + rng.randint(0, 999))
            next_belnr[(company_code, year)] = number + rng.randint(1, 4)
            posted = date.fromisoformat(label["invoice_date"]) + timedelta(days=rng.randint(1, 12))
            row = inv.rbkp_row(label, vendor, company_code, str(number), year, posted)
            has_document = index < n
            has_record = self._export(row, rows, has_document)
            if not has_document:
                continue
            roll = rng.random()
            if roll < 0.45:
                stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label["invoice_number"])
                stem = f"{vendor.company.name.split()[0]}_{stem}" if rng.random() < 0.5 else stem
            elif roll < 0.6:
                stem = f"{row['BELNR']}"
            else:
                stem = self._anonymous_stem(index)
            pages = -(-len(label["line_items"]) // inv.ROWS_PER_PAGE)
            self._count_layout(vendor.layout)
            name = self._write_document(stem, lambda path: inv.render_invoice(path, label, vendor), pages)
            docs.append(_Doc(file=name, label=label, record_key=inv.rbkp_key(row) if has_record else None))
        rng.shuffle(rows)
        self.report.records = len(rows)
        vendor_rows = [inv.lfa1_row(v) for v in vendors]
        for vendor_row in vendor_rows:
            if vendor_row["LIFNR"] in moved:
                # Master data is today's, not the invoice's: the vendor has moved since.
                vendor_row["STRAS"] = f"{rng.choice(['Neue Straße', 'Parkring', 'Rue Neuve'])} {rng.randint(1, 99)}"
        erp = self.out / "erp"
        _write_table(erp / "RBKP", [_sap_formats(r) for r in rows], delimiter=";", encoding="cp1252",
                     xlsx_rows=rows)
        _write_table(erp / "LFA1", vendor_rows, delimiter=";", encoding="cp1252")
        return docs

    def _alter(self, row: dict[str, Any]) -> int:
        rng = self.rng
        if rng.random() >= 0.05:
            return 0
        choice = rng.choice(["amount", "reference", "date"])
        if choice == "amount":
            row["RMWWR"] = round(row["RMWWR"] + rng.choice([-1, 1]) * rng.choice([0.01, 0.1, 1.0, 10.0, 100.0]), 2)
        elif choice == "reference":
            row["XBLNR"] = row["XBLNR"].replace("-", "").replace("/", "")[:16]
        else:
            row["BLDAT"] = row["BUDAT"]
        return 1


def _sap_formats(row: dict[str, Any]) -> dict[str, Any]:
    """Amounts as SE16 writes them in a German locale: ``1.234,56``."""
    formatted = dict(row)
    for key in ("RMWWR", "WMWST1"):
        formatted[key] = inv.format_amount(row[key], "de")
    return formatted


def _write_table(stem: Path, rows: list[dict[str, Any]], *, delimiter: str, encoding: str,
                 xlsx_rows: list[dict[str, Any]] | None = None) -> None:
    if not rows:
        return
    columns = list(rows[0])
    with open(stem.with_suffix(".csv"), "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = stem.name
    sheet.append(columns)
    for row in xlsx_rows or rows:
        sheet.append([row[c] for c in columns])
    workbook.properties.created = workbook.properties.modified = _EPOCH
    buffer = io.BytesIO()
    workbook.save(buffer)
    _write_zip_with_fixed_times(buffer.getvalue(), stem.with_suffix(".xlsx"))


_EPOCH = datetime(2020, 1, 1)


def _write_zip_with_fixed_times(data: bytes, path: Path) -> None:
    """openpyxl stamps the zip entries and the properties with the current time; fix both
    so that the same seed gives a byte-identical workbook."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", content)
            target.writestr(fixed, content)
