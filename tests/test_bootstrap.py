"""Matching and mapping on the noisy synthetic corpora, on both stores.

The corpus-scale goals (>= 99.5% precise, >= 97% of true pairs) are measured by
bench/bootstrap_quality.py; here the small corpora must be matched without a single wrong
automatic link, and people's decisions must survive re-runs.
"""

from __future__ import annotations

import json
import shutil

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from connectors.documents import FolderSource
from curator.cli import app
from curator.mapping.accuracy import bootstrap_accuracy
from curator.pipeline import bootstrap
from curator.mapping.stage import map_documents
from curator.mapping.rules import load_mapping
from curator.matching.stage import match_records
from curator.matching.decisions import MatchDecisionError, confirm_match, list_matches, reject_match
from curator.ingest.documents import ingest_documents
from curator.store.models import ErpRecord, Label, LabelEvent, Match
from curator.review.users import add_user

CASES = [("invoices", "invoice", "invoice-sap"), ("w2", "w2", "w2-payroll")]


def _truth(corpus):
    with open(corpus / "truth" / "matches.jsonl") as handle:
        return {json.loads(line)["file"]: json.loads(line)["record_key"] for line in handle}


def _count(workspace, model):
    with workspace.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("kind,document_class,mapping_name", CASES)
def test_bootstrap_links_correctly_and_maps_with_provenance(workspace, small_corpora, kind, document_class,
                                                           mapping_name):
    corpus = small_corpora[kind]
    ingested = ingest_documents(workspace, FolderSource(corpus / "documents"), document_class=document_class,
                                actor="admin")
    # The corpus has scans: ingest read them (RapidOCR, from pip), so bootstrap has none left to read.
    assert ingested.pages_read["pages"] > 0 and not ingested.pages_read["skipped_reason"]
    mapping = load_mapping(mapping_name)
    report = bootstrap(workspace, mapping, erp_dir=corpus / "erp", actor="admin")
    assert report.ocr["pages_with_words"] == 0
    truth = _truth(corpus)
    auto = [m for m in list_matches(workspace) if m["status"] == "auto"]
    wrong = [m for m in auto if truth.get(m["file"]) != m["record_key"]]
    assert wrong == []
    assert len(auto) >= 0.85 * len(truth)
    assert report.unmatched["records"], "the export has records without a document"
    for match in auto:
        assert set(match) >= {"file", "record_key", "score", "status", "evidence"}
        assert match["evidence"]["fields"]
    labels = _count(workspace, Label)
    assert labels == len(auto)
    with workspace.session() as session:
        label = session.exec(select(Label)).first()
    fields = json.loads(label.fields)
    assert {entry["source"] for entry in fields.values()} <= {"erp", "rule"}
    assert all({"value", "source", "agent", "confidence", "at"} <= set(e) for e in fields.values())
    assert json.loads(label.gaps), "fields the ERP never stored are listed as gaps"
    assert _count(workspace, LabelEvent) >= len(fields)
    accuracy = bootstrap_accuracy(workspace, mapping, corpus / "truth")
    assert accuracy["documents"] == len(auto)
    assert accuracy["unflagged_wrong"] == 0  # every wrong ERP value is flagged suspect
    # Evidence with a location: the ERP values the documents show carry their page and box.
    with workspace.session() as session:
        every = [json.loads(label.fields) for label in session.exec(select(Label))]
    shown = [e for fields in every for e in fields.values()
             if e.get("state") == "value" and not e.get("suspect") and not isinstance(e.get("value"), bool)]
    located = [e for e in shown if e.get("evidence", {}).get("bbox")]
    assert len(located) >= 0.9 * len(shown)
    assert all(1 <= e["evidence"]["page"] and all(0 <= v <= 1 for v in e["evidence"]["bbox"]) for e in located)

    # Idempotent: a second bootstrap adds nothing and changes nothing.
    counts = (_count(workspace, ErpRecord), _count(workspace, Match), _count(workspace, Label),
              _count(workspace, LabelEvent))
    again = bootstrap(workspace, mapping, erp_dir=corpus / "erp", actor="admin")
    assert again.ocr["pages"] == 0 and again.map["labels_unchanged"] == labels
    assert counts == (_count(workspace, ErpRecord), _count(workspace, Match), _count(workspace, Label),
                      _count(workspace, LabelEvent))


def test_altered_erp_value_is_flagged_suspect(workspace, small_corpora, tmp_path):
    corpus = small_corpora["invoices"]
    erp = tmp_path / "erp"
    shutil.copytree(corpus / "erp", erp)
    lines = (erp / "RBKP.csv").read_text(encoding="cp1252").splitlines()
    header = lines[0].split(";")
    row = dict(zip(header, lines[1].split(";")))
    row["WMWST1"] = "1,23"  # the tax SAP holds is not what the invoice printed
    lines[1] = ";".join(row[c] for c in header)
    (erp / "RBKP.csv").write_text("\n".join(lines) + "\n", encoding="cp1252")
    ingest_documents(workspace, FolderSource(corpus / "documents"), document_class="invoice", actor="admin")
    bootstrap(workspace, load_mapping("invoice-sap"), erp_dir=erp, actor="admin")
    key = f"{row['BUKRS']}/{row['GJAHR']}/{row['BELNR']}"
    match = next((m for m in list_matches(workspace) if m["record_key"] == key and m["status"] == "auto"), None)
    if match is None:
        pytest.skip("that record has no document in this corpus")
    with workspace.session() as session:
        label = session.exec(select(Label).where(Label.document_sha256 == match["document"])).one()
    tax = json.loads(label.fields)["tax"]
    assert tax["value"] == 1.23 and tax["suspect"] is True and tax["confidence"] < 0.5


def test_people_decisions_survive_reruns(workspace, small_corpora):
    corpus = small_corpora["invoices"]
    ingest_documents(workspace, FolderSource(corpus / "documents"), document_class="invoice", actor="admin")
    mapping = load_mapping("invoice-sap")
    bootstrap(workspace, mapping, erp_dir=corpus / "erp", actor="admin")
    for person in ("ana", "bo"):
        add_user(workspace, person, "author", "correct horse battery", by="admin")
    auto = [m for m in list_matches(workspace) if m["status"] == "auto"]
    rejected, swapped_a, swapped_b = auto[0], auto[1], auto[2]
    reject_match(workspace, match_id=rejected["id"], by="ana")
    # A person links two pairs the other way round (as if the matcher had been wrong).
    reject_match(workspace, match_id=swapped_a["id"], by="ana")
    reject_match(workspace, match_id=swapped_b["id"], by="ana")
    confirm_match(workspace, record=swapped_a["record_key"], document=swapped_b["file"], by="ana")
    with pytest.raises(MatchDecisionError, match="already confirmed"):
        confirm_match(workspace, record=swapped_b["record_key"], document=swapped_b["file"], by="bo")
    match_records(workspace, mapping, actor="admin")
    by_pair = {(m["record_key"], m["file"]): m for m in list_matches(workspace)}
    assert by_pair[(rejected["record_key"], rejected["file"])]["status"] == "rejected"
    assert by_pair[(swapped_a["record_key"], swapped_b["file"])]["status"] == "confirmed"
    assert by_pair[(swapped_a["record_key"], swapped_b["file"])]["decided_by"] == "ana"
    linked = [m for m in list_matches(workspace) if m["status"] in ("auto", "confirmed")]
    assert len({m["record_key"] for m in linked}) == len(linked) == len({m["file"] for m in linked})


def _bootstrapped_w2(workspace, small_corpora):
    """The W-2 corpus ingested and bootstrapped; its mapping."""
    corpus = small_corpora["w2"]
    ingest_documents(workspace, FolderSource(corpus / "documents"), document_class="w2", actor="admin")
    mapping = load_mapping("w2-payroll")
    bootstrap(workspace, mapping, erp_dir=corpus / "erp", actor="admin")
    return mapping


def test_map_never_overwrites_a_human_value(workspace, small_corpora):
    mapping = _bootstrapped_w2(workspace, small_corpora)
    with workspace.session() as session:
        label = session.exec(select(Label)).first()
        fields = json.loads(label.fields)
        fields["employee.name"] = {"value": "Corrected By Hand", "source": "human", "agent": "ana@example.com",
                                   "confidence": 1.0, "at": "2026-11-21T00:00:00+00:00"}
        fields["earnings.wages"]["value"] = 1.0  # a stale ERP value the next map must refresh
        label.fields = json.dumps(fields)
        session.add(label)
        session.commit()
        label_id = label.id
    report = map_documents(workspace, mapping, actor="admin")
    assert report.labels_updated == 1
    with workspace.session() as session:
        fields = json.loads(session.get(Label, label_id).fields)
    assert fields["employee.name"]["value"] == "Corrected By Hand"
    assert fields["earnings.wages"]["value"] != 1.0


def test_a_remap_that_only_locates_values_writes_no_audit_events(workspace, small_corpora):
    """Labels mapped before the pages were read carry no page boxes; mapping again adds them,
    and the history does not fill up with 'changes' from a value to the same value."""
    mapping = _bootstrapped_w2(workspace, small_corpora)
    with workspace.session() as session:
        label = session.exec(select(Label)).first()
        fields = json.loads(label.fields)
        located = [path for path, entry in fields.items() if entry.get("evidence")]
        assert located
        for path in located:
            del fields[path]["evidence"]
        label.fields = json.dumps(fields)
        session.add(label)
        session.commit()
        label_id = label.id
    events = _count(workspace, LabelEvent)
    report = map_documents(workspace, mapping, actor="admin")
    assert report.labels_updated == 1  # the boxes are back...
    with workspace.session() as session:
        fields = json.loads(session.get(Label, label_id).fields)
    assert all(fields[path].get("evidence") for path in located)
    assert _count(workspace, LabelEvent) == events  # ...and no value changed, so nothing to audit


def test_cli_bootstrap_match_list_and_report(tmp_path, small_corpora):
    runner = CliRunner()
    ws = tmp_path / "ws"
    corpus = small_corpora["w2"]
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    runner.invoke(app, ["-w", str(ws), "ingest", "docs", str(corpus / "documents"), "--class", "w2", "--json"])
    result = runner.invoke(app, ["-w", str(ws), "bootstrap", "--mapping", "w2-payroll", "--erp-dir",
                                 str(corpus / "erp"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["match"]["auto"] > 0 and report["map"]["labels_created"] == report["match"]["auto"]
    listed = json.loads(runner.invoke(app, ["-w", str(ws), "match", "list", "--json"]).stdout)
    truth = _truth(corpus)
    assert all(truth[m["file"]] == m["record_key"] for m in listed if m["status"] == "auto")
    # One document with its label: every field's state, provenance and where the page shows it.
    linked = next(m for m in listed if m["status"] == "auto")
    shown = json.loads(runner.invoke(app, ["-w", str(ws), "docs", "show", linked["document"][:12], "--json"]).stdout)
    (label,) = shown["labels"]
    ssn = label["fields"]["employee.ssn"]
    assert ssn["state"] == "value" and ssn["source"] == "erp" and ssn["evidence"]["page"] == 1
    assert len(ssn["evidence"]["bbox"]) == 4 and any(f["state"] == "unknown" for f in label["fields"].values())
    unmatched = json.loads(runner.invoke(app, ["-w", str(ws), "match", "list", "--unmatched", "w2-payroll",
                                               "--json"]).stdout)
    assert unmatched["records"]
    accuracy = json.loads(runner.invoke(app, ["-w", str(ws), "report", "bootstrap", "--mapping", "w2-payroll",
                                              "--truth", str(corpus / "truth"), "--json"]).stdout)
    assert accuracy["fields"]["employee.ssn"]["correct"] == report["match"]["auto"]
    assert accuracy["fields"]["employer.controlNumber"]["correct"] == 0  # payroll never stored it
    missing = runner.invoke(app, ["-w", str(ws), "bootstrap", "--mapping", "w2-payroll", "--erp-dir", str(tmp_path)])
    assert missing.exit_code == 2 and "no export for record source 'payroll_w2'" in missing.output
