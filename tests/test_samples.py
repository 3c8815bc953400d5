"""The synthetic corpora: deterministic, schema-valid, and as imperfect as real history."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import jsonschema
import pypdfium2 as pdfium
import pytest

from curator.samples.corpus import generate_corpus
from curator.schemas import builtin_schema


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("kind", ["w2", "invoices"])
def test_same_seed_gives_identical_bytes(tmp_path, kind):
    generate_corpus(kind, 6, seed=5, out=tmp_path / "a", noise=0.5)
    generate_corpus(kind, 6, seed=5, out=tmp_path / "b", noise=0.5)
    generate_corpus(kind, 6, seed=6, out=tmp_path / "c", noise=0.5)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "c")


def _leaf_count(schema: dict) -> int:
    """Leaf fields of the W-2 schema, counting each box-12 slot and state row separately."""
    total = 0
    for prop in schema["properties"].values():
        if prop.get("type") == "object":
            total += _leaf_count(prop)
        elif prop.get("type") == "array":
            total += prop["maxItems"] * _leaf_count(prop["items"])
        else:
            total += 1
    return total


def test_w2_schema_covers_all_45_boxes():
    schema = builtin_schema("w2")
    assert _leaf_count(schema) - 1 == 45  # everything but the tax year is a box
    categories = {p.get("x-category") for p in schema["properties"].values()}
    assert {"employee", "employer", "earnings", "benefits", "multi_state"} <= categories


def test_w2_corpus(small_corpora):
    root = small_corpora["w2"]
    labels = _jsonl(root / "truth" / "labels.jsonl")
    files = sorted(p.name for p in (root / "documents").iterdir())
    assert sorted(entry["file"] for entry in labels) == files
    validator = jsonschema.Draft202012Validator(builtin_schema("w2"))
    for entry in labels:
        validator.validate(entry["label"])
        assert entry["label"]["taxYear"] in (2016, 2017, 2018, 2019)
        assert entry["label"]["employee"]["ssn"][:1] == "9"  # never a real SSN
    rows = list(csv.DictReader(open(root / "erp" / "payroll_w2.csv", encoding="utf-8")))
    keys = {f"{row['EMPLOYEE_ID']}/{row['TAX_YEAR']}" for row in rows}
    matches = _jsonl(root / "truth" / "matches.jsonl")
    assert matches and all(match["record_key"] in keys for match in matches)
    assert len(keys) > len(matches)  # records without a document
    # what the document prints but payroll never stored
    assert "CONTROL_NUMBER" not in rows[0] and "BOX14" not in rows[0]


def test_invoice_corpus(small_corpora):
    root = small_corpora["invoices"]
    labels = _jsonl(root / "truth" / "labels.jsonl")
    validator = jsonschema.Draft202012Validator(builtin_schema("invoice"))
    for entry in labels:
        validator.validate(entry["label"])
        total = entry["label"]["subtotal"] - (entry["label"]["discount"] or 0) + entry["label"]["tax"]
        assert abs(total - entry["label"]["total"]) < 0.011
    text = (root / "erp" / "RBKP.csv").read_bytes().decode("cp1252")
    header, first = text.splitlines()[:2]
    assert header.split(";")[:4] == ["BUKRS", "BELNR", "GJAHR", "XBLNR"]
    row = dict(zip(header.split(";"), first.split(";")))
    assert len(row["BLDAT"]) == 8 and row["BLDAT"].isdigit()  # SAP YYYYMMDD
    assert "," in row["RMWWR"]  # German decimal comma
    assert (root / "erp" / "LFA1.csv").exists() and (root / "erp" / "RBKP.xlsx").exists()


def test_invoice_realism_at_scale(tmp_path):
    report = generate_corpus("invoices", 120, seed=1, out=tmp_path, noise=0.0)
    assert report.duplicate_rows > 0
    assert report.records_without_document > 0
    assert report.documents_without_record > 0
    assert report.altered_values > 0
    assert report.names_without_number >= 0.25 * report.documents
    labels = _jsonl(tmp_path / "truth" / "labels.jsonl")
    # at least five layouts, and long orders that run to two or three pages
    assert len(report.layouts) >= 5
    page_counts = [len(pdfium.PdfDocument(str(tmp_path / "documents" / e["file"]))) for e in labels]
    assert max(page_counts) in (2, 3) and report.pages == sum(page_counts)
    currencies = {entry["label"]["currency"] for entry in labels}
    assert len(currencies) >= 2


def test_scans_are_image_only_in_several_formats(tmp_path):
    report = generate_corpus("w2", 30, seed=2, out=tmp_path, noise=1.0)
    assert report.scanned == 30
    assert len(report.formats) >= 3
    assert len(report.layouts) >= 3  # visual variants of the form
    for path in (tmp_path / "documents").glob("*.pdf"):
        pdf = pdfium.PdfDocument(str(path))
        assert pdf[0].get_textpage().get_text_bounded().strip() == ""


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown corpus"):
        generate_corpus("receipts", 3, 0, tmp_path)
    with pytest.raises(ValueError, match="noise"):
        generate_corpus("w2", 3, 0, tmp_path, noise=2)
