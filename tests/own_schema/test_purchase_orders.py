"""Bring your own document type: purchase orders, a schema that exists only in this test.

Generated here: the schema (nested supplier, an enum, line items), PDFs with reportlab, and an
ERP export in SAP's formats (``;``, ``yyyymmdd`` dates, ``1.234,56`` amounts). Then, exactly
as a user would: ``schema add``, ``mapping init`` (the scaffold is not edited), ingest, match,
map, triage, split, export, validate -- and every exported answer equals what its PDF prints.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas
from typer.testing import CliRunner

from curator.cli import app
from curator.samples.truth_check import answer_of

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Purchase order",
    "type": "object",
    "additionalProperties": False,
    "required": ["po_number", "order_date", "supplier", "currency", "total", "line_items"],
    "properties": {
        "po_number": {"type": "string", "x-hint": "the purchase order number, e.g. 4500012345", "x-category": "order"},
        "order_date": {"type": ["string", "null"], "format": "date", "x-category": "order"},
        "supplier": {"type": "object", "x-category": "supplier", "additionalProperties": False,
                     "required": ["name", "vat_id"],
                     "properties": {"name": {"type": "string"}, "vat_id": {"type": ["string", "null"]}}},
        "currency": {"enum": ["EUR", "USD", "GBP"], "x-category": "amounts"},
        "total": {"type": "number", "x-category": "amounts"},
        "line_items": {"type": "array", "x-category": "items", "items": {
            "type": "object", "additionalProperties": False, "required": ["description", "quantity", "amount"],
            "properties": {"description": {"type": "string"}, "quantity": {"type": "number"},
                           "amount": {"type": "number"}}}},
    },
}
SUPPLIERS = [("Nordwind Maschinenbau GmbH", "DE811907980"), ("Atelier Lumière SARL", "FR40303265045"),
             ("Van Dijk Logistiek B.V.", "NL810433941B01"), ("Harbor Tools Ltd", "GB980780684")]
ITEMS = ["Hydraulic pump HP-20", "Bearing set 6204", "Safety gloves (box)", "Pallet wrap 500 m", "Torque wrench"]


def _german(amount: float) -> str:
    return f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _corpus(root: Path, n: int = 26, seed: int = 5) -> dict[str, dict]:
    rng = random.Random(seed)
    docs, truth = root / "documents", {}
    docs.mkdir(parents=True)
    erp = ["PO_NUMBER;ORDER_DATE;SUPPLIER_NAME;SUPPLIER_VAT_ID;TOTAL;CURRENCY"]
    for i in range(n):
        name, vat = SUPPLIERS[i % len(SUPPLIERS)]
        number = f"45000{12000 + i * 7}"
        ordered = date(2019, 1, 7) + timedelta(days=rng.randrange(700))
        currency = ("EUR", "USD", "GBP")[i % 3]
        items = [{"description": rng.choice(ITEMS), "quantity": float(rng.randrange(1, 20)),
                  "amount": round(rng.uniform(10, 900), 2)} for _ in range(rng.randrange(1, 4))]
        total = round(sum(item["amount"] for item in items), 2)
        label = {"po_number": number, "order_date": ordered.isoformat(), "supplier": {"name": name, "vat_id": vat},
                 "currency": currency, "total": total, "line_items": items}
        file_name = f"PO-{number}.pdf"
        canvas = Canvas(str(docs / file_name), invariant=1)
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(72, 760, "PURCHASE ORDER")
        canvas.setFont("Helvetica", 11)
        lines = [f"PO number: {number}", f"Order date: {ordered:%d.%m.%Y}", f"Supplier: {name}", f"VAT ID: {vat}",
                 f"Currency: {currency}"]
        lines += [f"{item['description']}  qty {item['quantity']:g}  {_german(item['amount'])}" for item in items]
        lines.append(f"Total: {_german(total)} {currency}")
        for row, text in enumerate(lines):
            canvas.drawString(72, 720 - 18 * row, text)
        canvas.showPage()
        canvas.save()
        erp.append(f"{number};{ordered:%Y%m%d};{name};{vat};{_german(total)};{currency}")
        truth[file_name] = label
    (root / "EKKO.csv").write_bytes(("\n".join(erp) + "\n").encode("cp1252"))
    (root / "purchase_order.schema.json").write_text(json.dumps(SCHEMA, indent=2))
    (root / "truth.json").write_text(json.dumps(truth))
    return truth


def _run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in ok, result.output
    return result


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("po")
    truth = _corpus(root)
    ws = str(root / "ws")
    _run("init", ws)
    w = ["-w", ws]
    _run(*w, "schema", "add", str(root / "purchase_order.schema.json"), "--name", "purchase_order")
    _run(*w, "mapping", "init", "--schema", "purchase_order", "--source", f"csv:{root / 'EKKO.csv'}",
         "--out", str(root / "po.toml"))
    _run(*w, "ingest", "docs", str(root / "documents"), "--class", "purchase_order")
    _run(*w, "ingest", "erp", "--source", f"csv:{root / 'EKKO.csv'}", "--mapping", str(root / "po.toml"))
    _run(*w, "match", "--mapping", str(root / "po.toml"))
    _run(*w, "map", "--mapping", str(root / "po.toml"))
    _run(*w, "triage")
    _run(*w, "split", "--seed", "3", "--stratify", "currency")
    _run(*w, "export", "--format", "swift", "--schema", "purchase_order")
    _run(*w, "export", "--format", "bedrock-nova", "--schema", "purchase_order", "--s3", "s3://datasets/po")
    return root, truth


def test_the_scaffold_pairs_columns_with_fields_and_runs_as_it_is(exported):
    root, _ = exported
    text = (root / "po.toml").read_text()
    assert '"supplier.vat_id" = "SUPPLIER_VAT_ID"' in text and 'key = ["PO_NUMBER"]' in text
    assert 'order_date = { column = "ORDER_DATE", transform = "date", format = "%Y%m%d" }' in text
    assert 'total = { column = "TOTAL", transform = "decimal", decimal = "," }' in text
    assert '# "line_items[].description"' in text  # unpaired: a TODO, unknown until filled
    listed = json.loads(_run("-w", str(root / "ws"), "schema", "list", "--json").stdout)
    assert {"name": "purchase_order", "version": 1, "origin": "registered"}.items() <= listed[0].items()


def test_every_exported_answer_equals_what_the_pdf_prints(exported):
    root, truth = exported
    ws = root / "ws"
    for fmt in ("swift", "bedrock-nova"):
        folder = ws / "exports" / f"{fmt}-extraction-purchase_order"
        target = "swift" if fmt == "swift" else "bedrock-nova"
        checked = json.loads(_run("-w", str(ws), "validate", "--target", target, "--schema", "purchase_order",
                                  "--json", ok=(0, 1)).stdout)
        assert [e for e in checked["errors"] if "needs at least" not in e] == []
        lines = {split: (folder / f"{split}.jsonl").read_text().splitlines()
                 for split in ("train", "validation", "test") if (folder / f"{split}.jsonl").exists()}
        samples = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]
        assert len(samples) >= 20
        for sample in samples:
            answer = answer_of(json.loads(lines[sample["split"]][sample["line"] - 1]))
            expected = {key: truth[sample["file"]][key] for key in answer}
            assert answer == expected, sample["file"]  # ISO date, numbers as numbers, the nested supplier
            assert set(answer) == {"po_number", "order_date", "supplier", "currency", "total"}


def test_splits_see_every_currency(exported):
    root, _ = exported
    with_splits = json.loads(_run("-w", str(root / "ws"), "split", "--json").stdout)  # nothing new: all kept
    assert with_splits["assigned"] == 0
    from curator.curate.splits import split_of
    from curator.workspace import open_workspace
    from sqlmodel import select
    from curator.store.models import Document

    ws = open_workspace(root / "ws")
    splits = split_of(ws)
    with ws.session() as session:
        names = dict(session.exec(select(Document.sha256, Document.file_name)).all())
    ws.close()
    currencies = {split: set() for split in ("train", "test")}
    truth = {name: label for name, label in _corpus_truth(root).items()}
    for sha, split in splits.items():
        if split in currencies:
            currencies[split].add(truth[names[sha]]["currency"])
    assert currencies["train"] == {"EUR", "USD", "GBP"} and len(currencies["test"]) >= 2


def _corpus_truth(root: Path) -> dict[str, dict]:
    return json.loads((root / "truth.json").read_text())


def test_evaluation_works_on_the_users_schema(exported, tmp_path):
    root, truth = exported
    predictions = tmp_path / "truth.jsonl"
    predictions.write_text("".join(json.dumps({"file": f, "prediction": label}) + "\n" for f, label in truth.items()))
    run = json.loads(_run("-w", str(root / "ws"), "evaluate", "--model", f"predictions:{predictions}",
                          "--schema", "purchase_order", "--split", "train", "--name", "po-truth", "--json").stdout)
    scored = {leaf: m["f1"] for leaf, m in run["fields"].items() if m["f1"] is not None}
    assert scored and all(f1 == 1.0 for f1 in scored.values()), scored
    assert set(run["categories"]) >= {"order", "supplier", "amounts"}  # from x-category
