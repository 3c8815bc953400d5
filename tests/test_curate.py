"""Triage, splits, exports and provider validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from PIL import Image
from sqlmodel import delete, select
from typer.testing import CliRunner

from connectors.documents import FolderSource
from curator.cli import app
from curator.curate import fieldsets
from curator.curate.export import export_dataset
from curator.curate.splits import assign_splits, split_of
from curator.curate.triage import triage
from curator.curate.validate import validate_export
from curator.pipeline import bootstrap
from curator.mapping.rules import load_mapping
from curator.ingest.documents import ingest_documents
from curator.samples.noise import save_scan, scanned_pages
from curator.labels.fieldset import field_state, project_schema
from curator.labels.paths import generic
from curator.schemas import builtin_schema
from curator.store.models import Label, LabelEvent, SplitAssignment
from curator.workspace import Workspace, init_workspace, open_workspace
from exports import get_writer
from exports.base import Destination, Sample
from exports.prompts import RESERVED, contains_reserved, extraction_prompt, neutralise

GROUPS = ["seller_name", "employee.ssn"]


def _prepare(ws: Workspace, corpora: dict[str, Path]) -> None:
    for kind, cls, mapping in (("invoices", "invoice", "invoice-sap"), ("w2", "w2", "w2-payroll")):
        ingest_documents(ws, FolderSource(corpora[kind] / "documents"), document_class=cls, actor="admin")
        bootstrap(ws, load_mapping(mapping), erp_dir=corpora[kind] / "erp", actor="admin")
        # The datasets hold the fields the labels decide (as the demo does).
        fieldsets.save(ws, cls, fieldsets.suggest(ws, cls).fields)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, small_corpora) -> Path:
    """One bootstrapped SQLite workspace per module; tests work on copies of it."""
    root = tmp_path_factory.mktemp("prepared") / "ws"
    ws = init_workspace(root)
    ws.config.ingest.workers = 1
    _prepare(ws, small_corpora)
    ws.close()
    return root


def test_triage_accepts_clean_labels_and_explains_the_rest(ws):
    report = triage(ws, actor="admin")
    assert report.auto_accepted > 0
    with ws.session() as session:
        labels = list(session.exec(select(Label)))
        events = list(session.exec(select(LabelEvent).where(LabelEvent.field == "(status)")))
    assert {label.status for label in labels} <= {"auto_accepted", "needs_review"}
    for label in labels:
        fields = json.loads(label.fields)
        field_set = ws.config.triage.fields[label.schema_name]
        suspect = any(e.get("suspect") for path, e in fields.items() if generic(path) in field_set)
        unknown = any(field_state(fields, leaf) == "unknown" for leaf in field_set)
        assert (label.status == "needs_review") == (suspect or unknown or bool(json.loads(label.problems)))
        if label.status == "auto_accepted":  # complete: every field of the set decided
            assert not unknown
    assert len(events) == len(labels)
    assert all(e.reason for e in events) and all(e.agent == "triage:agreement-v1" for e in events)
    # ERP-only labels: the default policy trusts the ERP alone, so it decides like erp-v1 did.
    assert all((label.priority is None) == (label.status == "auto_accepted") for label in labels)
    assert triage(ws, actor="admin").auto_accepted == 0  # already triaged labels are left alone


def test_splits_are_deterministic_grouped_and_stable(ws, prepared, tmp_path):
    report = assign_splits(ws, group_by=GROUPS, seed=3, actor="admin")
    first = split_of(ws)
    assert report.assigned == len(first) and set(first.values()) == {"train", "validation", "test"}
    shutil.copytree(prepared, tmp_path / "again")
    other = open_workspace(tmp_path / "again")
    assign_splits(other, group_by=GROUPS, seed=3, actor="admin")
    assert split_of(other) == first  # same documents, ratios and seed: same splits
    other.close()
    # Every group value sits in exactly one split.
    with ws.session() as session:
        values: dict[str, set[str]] = {}
        for sha, fields in session.exec(select(Label.document_sha256, Label.fields)):
            data = json.loads(fields)
            for name in GROUPS:
                if data.get(name, {}).get("value"):
                    values.setdefault(f"{name}={data[name]['value']}", set()).add(first[sha])
                    break
    assert values and all(len(splits) == 1 for splits in values.values())
    # Documents added later never move the earlier ones.
    with ws.session() as session:
        late = sorted(first)[:5]
        session.exec(delete(SplitAssignment).where(SplitAssignment.document_sha256.in_(late)))
        session.commit()
    again = assign_splits(ws, group_by=GROUPS, seed=99, actor="admin")
    assert again.assigned == 5 and again.kept == len(first) - 5
    after = split_of(ws)
    assert all(after[sha] == split for sha, split in first.items() if sha not in late)


def test_a_scan_of_a_document_stays_with_it_but_a_template_does_not_glue(ws, small_corpora, tmp_path):
    import random

    from curator.ingest.ocr import ocr_pending_pages

    clean = sorted((small_corpora["w2"] / "documents").glob("W2_*.pdf"))[0]
    folder = tmp_path / "rescans"
    folder.mkdir()
    save_scan(scanned_pages(clean, random.Random(1)), folder / "rescan-of-the-same", random.Random(2))
    ingest_documents(ws, FolderSource(folder), document_class="w2", actor="admin")
    ocr_pending_pages(ws, actor="admin")
    report = assign_splits(ws, seed=0, actor="admin")
    splits = split_of(ws)
    from curator.catalog import find_document

    original = find_document(ws, clean.name).document.sha256
    rescan = find_document(ws, next(folder.iterdir()).name).document.sha256
    assert splits[original] == splits[rescan]
    assert report.groups > 0.6 * len(splits)  # W-2s of one template are not one big group


def test_bad_ratios_are_refused(ws):
    with pytest.raises(ValueError, match="summing to 1"):
        assign_splits(ws, ratios={"train": 0.9, "validation": 0.2, "test": 0.1}, actor="admin")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("fmt", ["bedrock-nova", "swift", "bedrock-llama32"])
def test_export_formats_read_back_and_validate(ws, tmp_path, fmt):
    triage(ws, actor="admin")
    assign_splits(ws, group_by=GROUPS, actor="admin")
    schema = builtin_schema("invoice")
    result = export_dataset(ws, fmt=fmt, schema_name="invoice", dest=str(tmp_path / "out"),
                            s3_prefix="s3://training-bucket/invoices", actor="admin")
    folder = Path(result.folder)
    target = {"bedrock-nova": "bedrock-nova", "swift": "swift", "bedrock-llama32": "bedrock-llama32"}[fmt]
    report = validate_export(folder, target, schema=schema)
    structural = [e for e in report.errors if "needs at least" not in e]  # small corpora: few records
    assert structural == []
    manifest = json.loads((folder / "manifest.json").read_text())
    lines = [r for split in ("train", "validation", "test") for r in _read(folder / f"{split}.jsonl")]
    assert lines and sum(manifest["counts"].values()) == len(lines)
    for relative, meta in manifest["files"].items():
        assert (folder / relative).stat().st_size == meta["bytes"]
    for record in lines:
        if fmt == "swift":
            answer = record["messages"][-1]["content"]
            user = record["messages"][1]["content"]
            assert user.count("<image>") == len(record["images"]) >= 1
            assert all((folder / image).exists() for image in record["images"])
        else:
            user = record["messages"][0]["content"]
            answer = record["messages"][1]["content"][0]["text"]
            kinds = [next(iter(part)) for part in user]
            assert kinds[-1] == "text" and set(kinds[:-1]) == {"image"}  # media first, then text
            uris = [part["image"]["source"]["s3Location"]["uri"] for part in user[:-1]]
            assert all(uri.startswith("s3://training-bucket/invoices/images/") for uri in uris)
            if fmt == "bedrock-llama32":
                assert len(uris) == 1
        target_json = json.loads(answer)
        # every key of the field set, sorted; no key the labels leave unknown
        projected = project_schema(schema, manifest["fields"]["fields"])
        assert list(target_json) == sorted(projected["properties"]) and "line_items" not in target_json
        assert answer == json.dumps(target_json, sort_keys=True, ensure_ascii=False)
    with ws.session() as session:
        accepted = session.exec(select(Label).where(Label.schema_name == "invoice",
                                                    Label.status == "auto_accepted")).all()
    # exactly the auto-accepted documents (Llama: one line per page of them)
    assert (len(lines) >= len(accepted)) if fmt == "bedrock-llama32" else (len(lines) == len(accepted))


def test_llama_tiles_or_splits_multi_page_documents(ws, tmp_path):
    triage(ws, actor="admin")
    assign_splits(ws, actor="admin")
    per_page = export_dataset(ws, fmt="bedrock-llama32", schema_name="invoice", dest=str(tmp_path / "pp"),
                              s3_prefix="s3://bucket-b/p", llama_pages="per-page", actor="admin")
    tiled = export_dataset(ws, fmt="bedrock-llama32", schema_name="invoice", dest=str(tmp_path / "tile"),
                           s3_prefix="s3://bucket-b/p", llama_pages="tile", actor="admin")
    nova = export_dataset(ws, fmt="bedrock-nova", schema_name="invoice", dest=str(tmp_path / "nova"),
                          s3_prefix="s3://bucket-b/p", actor="admin")
    assert sum(tiled.counts.values()) == sum(nova.counts.values())
    pages = sum(len(r["messages"][0]["content"]) - 1 for s in ("train", "validation", "test")
                for r in _read(Path(nova.folder) / f"{s}.jsonl"))
    assert sum(per_page.counts.values()) == pages


def test_exporting_twice_gives_identical_bytes(ws, tmp_path):
    triage(ws, actor="admin")
    assign_splits(ws, group_by=GROUPS, actor="admin")
    first = export_dataset(ws, fmt="swift", schema_name="w2", dest=str(tmp_path / "a"), actor="admin")
    second = export_dataset(ws, fmt="swift", schema_name="w2", dest=str(tmp_path / "a"), actor="admin")
    third = export_dataset(ws, fmt="swift", schema_name="w2", dest=str(tmp_path / "b"), actor="admin")
    assert first.fingerprint == second.fingerprint == third.fingerprint
    for relative in first.files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    assert not (tmp_path / "a.partial").exists()
    # The second and third exports reused the cached downscaled pages: same bytes as fresh ones.
    derived = sorted((ws.blobs.root / "derived").iterdir())
    assert derived and not any(p.suffix == ".partial" for p in derived)
    shutil.rmtree(ws.blobs.root / "derived")
    fresh = export_dataset(ws, fmt="swift", schema_name="w2", dest=str(tmp_path / "c"), actor="admin")
    assert fresh.fingerprint == first.fingerprint


def test_classification_dataset(ws, tmp_path):
    assign_splits(ws, group_by=GROUPS, actor="admin")
    result = export_dataset(ws, fmt="bedrock-nova", task="classification", dest=str(tmp_path / "cls"),
                            s3_prefix="s3://bucket/cls", actor="admin")
    report = validate_export(Path(result.folder), "bedrock-nova")
    assert report.ok, report.errors
    assert set(report.classes) == {"invoice", "w2"} and sum(result.counts.values()) >= 10
    record = _read(Path(result.folder) / "train.jsonl")[0]
    assert record["messages"][1]["content"][0]["text"] in ("invoice", "w2")
    assert "invoice, w2" in record["messages"][0]["content"][-1]["text"]


@mock_aws
def test_upload_to_s3_with_checksums(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="datasets")
    triage(ws, actor="admin")
    assign_splits(ws, group_by=GROUPS, actor="admin")
    result = export_dataset(ws, fmt="bedrock-nova", schema_name="w2", dest="s3://datasets/w2/v1", s3_client=s3, actor="admin")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="datasets", Prefix="w2/v1/")["Contents"]}
    assert keys == {f"w2/v1/{f}" for f in result.files}
    head = s3.head_object(Bucket="datasets", Key="w2/v1/train.jsonl", ChecksumMode="ENABLED")
    assert head.get("ChecksumSHA256") or head["Metadata"]["sha256"]
    line = json.loads(s3.get_object(Bucket="datasets", Key="w2/v1/train.jsonl")["Body"].readline())
    uri = line["messages"][0]["content"][0]["image"]["source"]["s3Location"]["uri"]
    assert uri.startswith("s3://datasets/w2/v1/images/")
    s3.head_object(Bucket="datasets", Key=uri[len("s3://datasets/"):])  # the image is where the line says


def _tiny_png(tmp_path: Path) -> Path:
    path = tmp_path / "page.png"
    if not path.exists():
        Image.new("L", (200, 260), 255).save(path)
    return path


def _bad_dataset(tmp_path: Path, record: dict, fmt: str = "bedrock-nova", extra_files: dict | None = None) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    Image.new("L", (100, 100), 255).save(folder / "images" / "a.png")
    (folder / "train.jsonl").write_text("\n".join(json.dumps(record) for _ in range(10)) + "\n")
    for name, content in (extra_files or {}).items():
        (folder / name).write_text(content)
    (folder / "manifest.json").write_text(json.dumps({"format": fmt, "task": "extraction",
                                                     "s3_prefix": "s3://bucket/ds", "files": {}, "counts": {}}))
    return folder


def _nova_record(text: str = "Extract these keys as JSON: a", images: int = 1, bucket: str = "bucket",
                 system: str = "You extract fields") -> dict:
    content = [{"image": {"format": "png", "source": {"s3Location": {"uri": f"s3://{bucket}/ds/images/a.png"}}}}
               for _ in range(images)]
    return {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": system}],
            "messages": [{"role": "user", "content": content + [{"text": text}]},
                         {"role": "assistant", "content": [{"text": "{}"}]}]}


@pytest.mark.parametrize(
    "record,target,message,extra",
    [
        (_nova_record(system="Assistant: be brief"), "bedrock-nova", "reserved string", None),
        (_nova_record(text="describe <image> please"), "bedrock-nova", "reserved string", None),
        (_nova_record(images=11), "bedrock-nova", "at most 10", None),
        (_nova_record(bucket="other"), "bedrock-nova", "not in the dataset's bucket", None),
        (_nova_record(), "bedrock-nova2", "no validation set", {"validation.jsonl": ""}),
        (_nova_record(), "bedrock-nova2", "needs at least 200", None),
        (_nova_record(images=2), "bedrock-llama32", "needs at least 100", None),
        (_nova_record(images=2), "bedrock-llama32", "at most 1", None),
        ({**_nova_record(), "messages": [{"role": "assistant", "content": [{"text": "x"}]}]}, "bedrock-nova",
         "alternate", None),
    ],
)
def test_validator_catches_provider_rule_breaks(tmp_path, record, target, message, extra):
    fmt = "bedrock-llama32" if target == "bedrock-llama32" else "bedrock-nova"
    report = validate_export(_bad_dataset(tmp_path, record, fmt=fmt, extra_files=extra), target)
    assert any(message in e for e in report.errors), report.errors


def test_validator_catches_swift_tag_mismatch_and_missing_images(tmp_path):
    record = {"messages": [{"role": "user", "content": "<image>Extract"}, {"role": "assistant", "content": "{}"}],
              "images": ["images/a.png", "images/missing.png"]}
    report = validate_export(_bad_dataset(tmp_path, record, fmt="swift"), "swift")
    assert any("1 <image> tags for 2 images" in e for e in report.errors)
    assert any("images/missing.png is missing" in e for e in report.errors)


_PIECES = list("abc :<>[]/EOSUNKimageusrotbhTgvdy") + list(RESERVED) + [r.upper() for r in RESERVED] + [
    r.lower() for r in RESERVED]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_reserved_strings_never_survive(text):
    assert contains_reserved(neutralise(text)) == []


def _value(schema: dict):
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if schema.get("type") == "object":
        return st.fixed_dictionaries({k: _value(v) for k, v in schema["properties"].items()})
    if schema.get("type") == "array":
        return st.lists(_value(schema["items"]), max_size=schema.get("maxItems", 3))
    options = [st.none()]
    if "string" in types:
        if schema.get("format") == "date":
            options.append(st.dates().map(lambda d: d.isoformat()))
        elif "pattern" in schema:
            options.append(st.from_regex(schema["pattern"], fullmatch=True))
        else:
            options.append(st.text(max_size=30))
    if "number" in types:
        options.append(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
    if "integer" in types:
        options.append(st.integers(min_value=1900, max_value=2100))
    if "boolean" in types:
        options.append(st.booleans())
    return st.one_of(options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=_value(builtin_schema("invoice")), text=st.text(max_size=200))
def test_any_schema_valid_label_gives_valid_lines(tmp_path, label, text):
    schema = builtin_schema("invoice")
    answer = json.dumps(label, sort_keys=True, ensure_ascii=False)
    samples = [Sample(document=f"{i:064x}", split="train", pages=(_tiny_png(tmp_path),), answer=answer, text=text)
               for i in range(8)]
    for fmt, target in (("bedrock-nova", "bedrock-nova"), ("swift", "swift")):
        folder = tmp_path / fmt
        shutil.rmtree(folder, ignore_errors=True)
        get_writer(fmt, schema=schema, include_text=True).write(
            samples, Destination(folder=folder, s3_prefix="s3://bucket/ds" if fmt != "swift" else None))
        report = validate_export(folder, target, schema=schema)
        assert [e for e in report.errors if "tokens" not in e] == [], report.errors
        for line in (folder / "train.jsonl").read_text().splitlines():
            record = json.loads(line)
            user_text = json.dumps(record["messages"][:-1])
            # document text never smuggles a reserved string into the prompt (swift's own tags aside)
            assert contains_reserved(user_text.replace("<image>", "")) == []
    assert contains_reserved(extraction_prompt(schema)) == []


def test_export_end_to_end_on_both_stores(workspace, small_corpora, tmp_path):
    _prepare(workspace, small_corpora)
    triage(workspace, actor="admin")
    assign_splits(workspace, group_by=GROUPS, actor="admin")
    result = export_dataset(workspace, fmt="bedrock-nova", schema_name="w2", dest=str(tmp_path / "nova"),
                            s3_prefix="s3://bucket/w2", actor="admin")
    assert sum(result.counts.values()) > 0
    assert [e for e in result.validation["errors"] if "needs at least" not in e] == []


def test_cli_split_export_validate(ws, tmp_path):
    runner = CliRunner()
    base = ["-w", str(ws.root)]
    assert runner.invoke(app, base + ["triage", "--json"]).exit_code == 0
    split = runner.invoke(app, base + ["split", "--group-by", "seller_name", "--group-by", "employee.ssn", "--json"])
    assert split.exit_code == 0 and json.loads(split.stdout)["assigned"] > 0
    exported = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "w2", "--json"])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["validation"]["ok"] and "manifest.json" in data["files"]
    validated = runner.invoke(app, base + ["validate", "--target", "swift", "--schema", "w2", "--json"])
    assert validated.exit_code == 0 and json.loads(validated.stdout)["ok"]
    missing = runner.invoke(app, base + ["validate", "--target", "bedrock-llama32"])
    assert missing.exit_code == 2 and "no bedrock-llama32 export yet" in missing.output
    custom = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "w2", "--dest", str(tmp_path / "t"),
                                        "--prompt-template", "Return JSON with: {keys}", "--json"])
    assert custom.exit_code == 0
    first = json.loads((tmp_path / "t" / "train.jsonl").read_text().splitlines()[0])
    assert first["messages"][1]["content"].endswith("Return JSON with: benefits, earnings, employee, employer, "
                                                    "multiStateEmployment, taxYear")
    bad = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "w2", "--prompt-template", "hi"])
    assert bad.exit_code == 2 and "{keys}" in bad.output
    nova_without_s3 = runner.invoke(app, base + ["export", "--format", "bedrock-nova", "--schema", "w2", "--json"])
    assert nova_without_s3.exit_code == 1
    assert any("s3://" in e for e in json.loads(nova_without_s3.stdout)["validation"]["errors"])


def test_validate_checks_the_latest_export_of_that_format_and_schema(ws, tmp_path):
    triage(ws, actor="admin")
    assign_splits(ws, group_by=GROUPS, actor="admin")
    runner = CliRunner()
    base = ["-w", str(ws.root)]
    w2 = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "w2", "--json"])
    invoice = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "invoice", "--json"])
    assert w2.exit_code == 0 and invoice.exit_code == 0
    checked = runner.invoke(app, base + ["validate", "--target", "swift", "--schema", "w2"])
    assert checked.exit_code == 0, checked.output  # the W-2 export, not the newer invoice one
    assert "swift-extraction-w2" in checked.output
    report = json.loads(runner.invoke(app, base + ["validate", "--target", "swift", "--schema", "w2", "--json"]).stdout)
    assert report["folder"].endswith("swift-extraction-w2")
    none = runner.invoke(app, base + ["validate", "--target", "bedrock-nova", "--schema", "w2"])
    assert none.exit_code == 2 and "no bedrock-nova export of w2 yet" in none.output
