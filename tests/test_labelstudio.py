"""Label Studio sync against a real Label Studio server started by the suite: push, annotate
through the API as a person would, pull, check the store; every prediction is checked with the
SDK's LabelInterface."""

from __future__ import annotations

import json
import uuid

import pytest
from label_studio_sdk.label_interface import LabelInterface
from sqlmodel import col, select
from typer.testing import CliRunner

import labelstudio_server
from curator.cli import app
from curator.labelstudio.client import LabelStudioError, connect
from curator.labelstudio.interface import build_interface
from curator.labelstudio.pull import pull
from curator.labelstudio.push import DOCUMENT_CLASSES, push
from curator.labelstudio.results import prediction_results, values_from_results
from curator.review.editing import open_label, save_label
from curator.review.users import add_user
from curator.samples.review_load import populate_for_review
from curator.schemas import builtin_schema
from curator.store.models import Label, LabelEvent, LabelStudioTask
from curator.workspace import init_workspace


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    if labelstudio_server.executable() is None:
        if __import__("os").environ.get("CURATOR_LABEL_STUDIO"):
            pytest.fail("CURATOR_LABEL_STUDIO is set but label-studio is missing")
        pytest.skip("label-studio is not installed (make test installs it)")
    server = labelstudio_server.start(tmp_path_factory.mktemp("label-studio"))
    yield server
    server.stop()


@pytest.fixture
def synced(label_studio, store_url):
    """A workspace inside Label Studio's document root, with 40 triaged invoices."""
    root = label_studio.document_root / f"ws-{uuid.uuid4().hex[:8]}"
    ws = init_workspace(root, db_url=store_url)
    populate_for_review(ws, 40, seed=21)
    client = connect(label_studio.url, label_studio.token)
    yield ws, client, label_studio.url, f"Invoices {uuid.uuid4().hex[:6]}"
    ws.close()


def _tasks(client, project_id):
    return list(client.tasks.list(project=project_id, fields="all"))


def _label(ws, label_id) -> Label:
    with ws.session() as session:
        return session.get(Label, label_id)


def _mapping(ws) -> dict[int, LabelStudioTask]:
    with ws.session() as session:
        return {t.task_id: t for t in session.exec(select(LabelStudioTask))}


def test_interface_and_value_conversion():
    schema = builtin_schema("invoice")
    interface = build_interface(schema, DOCUMENT_CLASSES)
    LabelInterface(interface.config)  # parses
    assert '<Image name="page" valueList="$pages"' in interface.config
    assert interface.controls["line_items"].kind == "table"
    # Columns in the schema's own order, as the invoice prints them.
    assert interface.controls["line_items"].columns == ("description", "quantity", "unit_price", "amount")
    results = [{"from_name": "total", "value": {"text": ["1.234,56"]}},
               {"from_name": "invoice_date", "value": {"text": ["03/15/2019"]}},
               {"from_name": "line_items", "value": {"text": ["Cable ties | 6 | 5,99 | 35.94\nBolts | x | 1 | 1"]}},
               {"from_name": "document_class", "value": {"choices": ["invoice"]}}]
    values, errors, document_class = values_from_results(results, interface, schema)
    assert values["total"] == 1234.56 and values["invoice_date"] == "2019-03-15"
    assert values["line_items[0].unit_price"] == 5.99 and values["line_items[0].description"] == "Cable ties"
    assert "po_number" not in values  # an empty box (not ticked absent) is unknown, not null
    assert "line_items[1].quantity" in errors and document_class == "invoice"
    # "Not on the document" is a decision of its own: ticked, the field is absent (null).
    ticked = results + [{"from_name": "absent_fields", "value": {"choices": ["po_number", "discount"]}}]
    values, errors, _ = values_from_results(ticked, interface, schema)
    assert values["po_number"] is None and values["discount"] is None and "due_date" not in values
    both = [{"from_name": "po_number", "value": {"text": ["4500000001"]}},
            {"from_name": "absent_fields", "value": {"choices": ["po_number"]}}]
    assert values_from_results(both, interface, schema)[0]["po_number"] == "4500000001"  # what was typed wins
    # Predictions: absent fields come ticked, unknown ones as empty boxes.
    fields = {"po_number": {"state": "absent", "value": None, "source": "human"},
              "due_date": {"state": "unknown", "value": None, "source": "erp"},
              "total": {"state": "value", "value": 12.5, "source": "erp"}}
    predicted = prediction_results(fields, interface, "invoice")
    assert {"from_name": "absent_fields", "to_name": "page", "type": "choices",
            "value": {"choices": ["po_number"]}} in predicted
    assert {r["from_name"] for r in predicted} == {"document_class", "absent_fields", "total"}
    LabelInterface(interface.config).validate_prediction({"result": predicted, "model_version": "x", "score": 0.5})


def test_push_creates_tasks_with_valid_predictions_and_never_duplicates(synced):
    ws, client, url, project = synced
    report = push(ws, client, url, project=project, schema_name="invoice", local_root=str(ws.root.parent),
                  chunk_size=4, actor="admin")
    with ws.session() as session:
        waiting = session.exec(select(Label).where(Label.status == "needs_review")).all()
    assert report.project_created and report.tasks_created == len(waiting) > 4 and report.chunks >= 2
    config = client.projects.get(id=report.project_id).label_config
    interface = LabelInterface(config)
    tasks = _tasks(client, report.project_id)
    assert len(tasks) == len(waiting)
    versions = set()
    for task in tasks:
        (prediction,) = task.predictions
        prediction = prediction if isinstance(prediction, dict) else prediction.dict()
        assert interface.validate_prediction(prediction), prediction
        versions.add(prediction["model_version"])
        assert 0 <= prediction["score"] <= 1
        assert task.data["pages"][0].startswith("/data/local-files/?d=")
    assert {"erp", "erp+teacher:nova"} <= versions  # ERP-only and teacher-filled documents differ
    # The page image is served by Label Studio's Local Files storage.
    import requests

    image = requests.get(url + tasks[0].data["pages"][0], headers={"Authorization": f"Token {labelstudio_server.LEGACY_TOKEN}"})
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    # Again: nothing new. After a reviewer changes one label: only its prediction is replaced.
    again = push(ws, client, url, project=project, schema_name="invoice", local_root=str(ws.root.parent), actor="admin")
    assert again.tasks_created == 0 and again.unchanged == len(waiting) and not again.project_created
    reviewer = add_user(ws, "rita", "reviewer", "correct horse battery", by="admin")
    label_id = waiting[0].id
    view = open_label(ws, reviewer, label_id)
    save_label(ws, reviewer, label_id, base_version=view.version, changes={"po_number": "4500000042"})
    third = push(ws, client, url, project=project, schema_name="invoice", local_root=str(ws.root.parent), actor="admin")
    assert third.predictions_updated == 1 and third.tasks_created == 0
    task_id = next(t.task_id for t in _mapping(ws).values() if t.label_id == label_id)
    (prediction,) = client.tasks.get(id=task_id).predictions
    prediction = prediction if isinstance(prediction, dict) else prediction.dict()
    assert "human" in prediction["model_version"]
    assert {"from_name": "po_number", "to_name": "page", "type": "textarea",
            "value": {"text": ["4500000042"]}} in prediction["result"]
    assert len(_tasks(client, report.project_id)) == len(waiting)


def _annotate(client, task, changes: dict[str, str], cancelled: bool = False):
    prediction = task.predictions[0]
    prediction = prediction if isinstance(prediction, dict) else prediction.dict()
    result = [dict(r) for r in prediction["result"] if r["from_name"] not in changes]
    result += [{"from_name": name, "to_name": "page", "type": "textarea", "value": {"text": [text]}}
               for name, text in changes.items()]
    return client.annotations.create(id=task.id, result=[] if cancelled else result, was_cancelled=cancelled)


def test_pull_brings_human_labels_back(synced):
    ws, client, url, project = synced
    report = push(ws, client, url, project=project, schema_name="invoice", local_root=str(ws.root.parent), actor="admin")
    tasks = {t.id: t for t in _tasks(client, report.project_id)}
    mapping = _mapping(ws)
    first, second, third = list(tasks.values())[:3]
    _annotate(client, first, {"total": "1.234,50", "po_number": "4500012345"})
    _annotate(client, second, {"currency": "EURO"})  # fails the schema (three letters)
    _annotate(client, third, {}, cancelled=True)
    pulled = pull(ws, client, url, project=project, schema_name="invoice", actor="admin")
    assert (pulled.applied, pulled.approved, pulled.sent_to_review, pulled.skipped) == (2, 1, 1, 1)
    label = _label(ws, mapping[first.id].label_id)
    fields = json.loads(label.fields)
    assert fields["total"]["value"] == 1234.5 and fields["total"]["source"] == "human"
    assert fields["total"]["agent"] == labelstudio_server.USER
    assert fields["po_number"]["value"] == "4500012345" and label.status == "approved"
    invalid = _label(ws, mapping[second.id].label_id)
    assert invalid.status == "needs_review" and any("currency" in p for p in json.loads(invalid.problems))
    with ws.session() as session:
        events = session.exec(select(LabelEvent).where(LabelEvent.label_id == invalid.id,
                                                       LabelEvent.field == "(status)")).all()
    assert "fails the schema" in events[-1].reason
    assert _label(ws, mapping[third.id].label_id).status == "needs_review"
    # Pulling again fetches nothing; an updated annotation wins and the history keeps both.
    assert pull(ws, client, url, project=project, schema_name="invoice", actor="admin").tasks_seen == 0
    annotation = client.tasks.get(id=first.id).annotations[0]
    annotation_id = annotation["id"] if isinstance(annotation, dict) else annotation.id
    result = [dict(r) for r in (annotation["result"] if isinstance(annotation, dict) else annotation.result)]
    for r in result:
        if r["from_name"] == "total":
            r["value"] = {"text": ["1250.00"]}
    client.annotations.update(id=annotation_id, result=result)
    updated = pull(ws, client, url, project=project, schema_name="invoice", actor="admin")
    assert updated.tasks_seen == 1 and updated.applied == 1
    assert json.loads(_label(ws, mapping[first.id].label_id).fields)["total"]["value"] == 1250.0
    with ws.session() as session:
        history = [e.new for e in session.exec(select(LabelEvent).where(
            LabelEvent.label_id == mapping[first.id].label_id, LabelEvent.field == "total").order_by(LabelEvent.id))]
    assert history[-2:] == ["1234.5", "1250.0"]


def test_tokens_and_clear_errors(label_studio):
    legacy = connect(label_studio.url, label_studio.token)
    personal = legacy.tokens.create().token  # a personal access token (JWT refresh token)
    assert connect(label_studio.url, personal).users.whoami().email == labelstudio_server.USER
    with pytest.raises(LabelStudioError, match="refused the token"):
        connect(label_studio.url, "not-a-token")
    with pytest.raises(LabelStudioError, match="cannot reach Label Studio"):
        connect("http://127.0.0.1:9", label_studio.token)
    result = CliRunner().invoke(app, ["labelstudio", "push", "--url", label_studio.url, "--token", "wrong",
                                      "--project", "x"])
    assert result.exit_code == 2 and "refused the token" in result.output


def test_cli_push_and_pull(synced, label_studio):
    ws, _client, url, project = synced
    runner = CliRunner()
    base = ["-w", str(ws.root), "labelstudio"]
    pushed = runner.invoke(app, base + ["push", "--url", url, "--token", label_studio.token, "--project", project,
                                        "--local-root", str(label_studio.document_root), "--json"])
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.stdout)["tasks_created"] > 0
    pulled = runner.invoke(app, base + ["pull", "--url", url, "--token", label_studio.token, "--project", project,
                                        "--json"])
    assert pulled.exit_code == 0, pulled.output
    assert json.loads(pulled.stdout)["applied"] == 0
    outside = runner.invoke(app, base + ["push", "--url", url, "--token", label_studio.token, "--project", project,
                                         "--local-root", "/nonexistent"])
    assert outside.exit_code == 2 and "not under Label Studio's document root" in outside.output


@pytest.fixture
def moto_s3(monkeypatch):
    """A moto S3 server for Label Studio and us; both sides' credentials set. Yields its endpoint."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "LABEL_STUDIO_S3_ACCESS_KEY_ID": "testing",
                        "LABEL_STUDIO_S3_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    yield endpoint
    server.stop()


def _first_page_through_label_studio(label_studio, client, project_id: int) -> str:
    """The s3:// URI of the first task's page; Label Studio hands it out as its own resolver URL,
    which presigns it, and the image must come back through it."""
    import base64

    import requests

    resolver = _tasks(client, project_id)[0].data["pages"][0]
    uri = base64.b64decode(resolver.split("fileuri=", 1)[1]).decode()
    image = requests.get(f"{label_studio.url}{resolver}", headers={"Authorization": f"Token {label_studio.token}"},
                         timeout=30)
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    return uri


def test_push_with_s3_page_storage(label_studio, tmp_path, moto_s3):
    """Pages uploaded to S3 (a moto server standing in for it) and served by Label Studio's S3
    storage: the task points at s3://, Label Studio presigns it, the image comes back."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="ls-pages")
    ws = init_workspace(tmp_path / "ws")
    populate_for_review(ws, 15, seed=6)
    client = connect(label_studio.url, label_studio.token)
    report = push(ws, client, label_studio.url, project=f"S3 pages {uuid.uuid4().hex[:6]}", schema_name="invoice",
                  storage="s3", s3_prefix="s3://ls-pages/curator", s3_client=s3, s3_endpoint=moto_s3, actor="admin")
    assert report.tasks_created > 0
    page = _first_page_through_label_studio(label_studio, client, report.project_id)
    assert page.startswith("s3://ls-pages/curator/pages/")
    s3.head_object(Bucket="ls-pages", Key=page[len("s3://ls-pages/"):])
    ws.close()


def test_push_reads_pages_in_place_from_a_workspace_whose_blobs_are_in_s3(label_studio, tmp_path, moto_s3):
    """A team workspace keeps its pages in S3: push copies nothing, the tasks point at the
    workspace's own objects, and Label Studio presigns them (no storage options needed)."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="team-ws")
    ws = init_workspace(tmp_path / "ws", blobs_url="s3://team-ws/curator")
    populate_for_review(ws, 12, seed=6)

    def objects() -> set[str]:
        return {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="team-ws")
                for o in page.get("Contents", [])}

    before = objects()
    client = connect(label_studio.url, label_studio.token)
    report = push(ws, client, label_studio.url, project=f"In place {uuid.uuid4().hex[:6]}",
                  schema_name="invoice", s3_endpoint=moto_s3, actor="admin")
    assert report.tasks_created > 0
    assert objects() == before  # nothing copied: Label Studio reads the workspace's objects
    assert not list((tmp_path / "ws").rglob("*.png"))
    uri = _first_page_through_label_studio(label_studio, client, report.project_id)
    assert uri.startswith("s3://team-ws/curator/") and uri[len("s3://team-ws/"):] in before
    ws.close()


def _give_pages_words(ws, count: int) -> list[str]:
    """Store text lines with boxes for the pages of ``count`` waiting documents (as reading pages does)."""
    from curator.ingest.ocr_engines import TextLine
    from curator.ingest.words import dump_lines
    from curator.store.models import Page

    lines = [TextLine("Invoice No.: INV-0042", (0.60, 0.10, 0.90, 0.12), 0.99),
             TextLine("Total 1.234,56 EUR", (0.60, 0.80, 0.85, 0.83), 0.97)]
    with ws.session() as session:
        labels = session.exec(select(Label).where(Label.status == "needs_review").order_by(Label.id)).all()[:count]
        documents = [label.document_sha256 for label in labels]
        for page in session.exec(select(Page).where(col(Page.document_sha256).in_(documents))):
            page.words_blob = ws.blobs.put(dump_lines(lines, "rapidocr"), kind="words", suffix=".json.gz")
            session.add(page)
        session.commit()
    return documents


def test_push_sends_the_pages_text_regions_and_pull_ignores_them(synced):
    ws, client, url, project = synced
    documents = _give_pages_words(ws, 3)
    report = push(ws, client, url, project=project, schema_name="invoice", local_root=str(ws.root.parent),
                  actor="admin")
    interface = LabelInterface(client.projects.get(id=report.project_id).label_config)
    with_regions = [t for t in _tasks(client, report.project_id) if t.data["document"] in documents]
    assert len(with_regions) == 3
    prediction = with_regions[0].predictions[0]
    prediction = prediction if isinstance(prediction, dict) else prediction.dict()
    assert interface.validate_prediction(prediction), prediction
    boxes = [r for r in prediction["result"] if r["from_name"] == "ocr_box"]
    texts = [r for r in prediction["result"] if r["from_name"] == "ocr_text"]
    assert [r["value"]["text"] for r in texts] == [["Invoice No.: INV-0042"], ["Total 1.234,56 EUR"]]
    assert [b["id"] for b in boxes] == [t["id"] for t in texts]  # each text belongs to its box
    assert boxes[1]["value"]["x"] == 60.0 and boxes[1]["value"]["y"] == 80.0 and boxes[1]["item_index"] == 0
    # An annotation that keeps the regions is pulled as before: the regions are not fields.
    _annotate(client, with_regions[0], {"po_number": "4500012345"})
    pulled = pull(ws, client, url, project=project, schema_name="invoice", actor="admin")
    assert pulled.applied == 1 and not pulled.problems
    label_id = next(t.label_id for t in _mapping(ws).values() if t.document_sha256 == documents[0])
    assert json.loads(_label(ws, label_id).fields)["po_number"]["value"] == "4500012345"
