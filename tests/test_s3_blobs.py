"""A team workspace whose blobs live in S3 (a moto server stands in for it): ingest puts
originals, pages and words in the bucket and no page image on local disk; bootstrap, the review
UI (in chromium) and an export work from that workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlmodel import select
from typer.testing import CliRunner

from curator.cli import app
from curator.samples.corpus import generate_corpus
from curator.store.models import Label, Page
from curator.workspace import open_workspace

BUCKET = "team-ws"


@pytest.fixture
def s3(monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def _local_images(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.suffix.lower() in (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".pdf")]


def test_a_workspace_with_its_blobs_in_s3(s3, tmp_path):
    runner = CliRunner()
    root = tmp_path / "ws"
    missing = runner.invoke(app, ["init", str(tmp_path / "nowhere"), "--blobs", "s3://no-such-bucket/x"])
    assert missing.exit_code == 2 and "cannot use the blob store s3://no-such-bucket/x" in missing.output
    result = runner.invoke(app, ["init", str(root), "--blobs", f"s3://{BUCKET}/curator", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["blobs"] == f"s3://{BUCKET}/curator"
    corpus = tmp_path / "corpus"  # 30 invoices, 19 of them scans, and their SAP export
    generate_corpus("invoices", 30, seed=21, out=corpus, noise=0.5)
    documents = tmp_path / "documents"
    shutil.copytree(corpus / "documents", documents)  # the source folder is the user's, not the workspace's
    ingested = runner.invoke(app, ["-w", str(root), "ingest", "docs", str(documents), "--class", "invoice", "--json"])
    assert ingested.exit_code in (0, 1), ingested.output
    report = json.loads(ingested.stdout)
    assert report["documents_added"] == 30 and report["pages_read"]["pages"] > 0  # 19 scans OCR'd from S3
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="curator/")
            for o in page.get("Contents", [])]
    kinds = {key.split("/")[1] for key in keys}
    assert {"originals", "pages", "words"} <= kinds
    assert _local_images(root) == []  # no page image, no original on the workspace's disk
    ws = open_workspace(root)
    with ws.session() as session:
        pages = session.exec(select(Page)).all()
    assert pages and all(f"curator/{page.blob_key}" in keys and page.words_blob for page in pages)
    ws.close()
    # The ERP bootstrap reads the documents' words from S3 and locates values on the pages.
    boot = runner.invoke(app, ["-w", str(root), "bootstrap", "--mapping", "invoice-sap", "--erp-dir",
                               str(corpus / "erp"), "--json"])
    assert boot.exit_code == 0, boot.output
    assert json.loads(boot.stdout)["match"]["auto"] >= 28
    ws = open_workspace(root)
    with ws.session() as session:
        fields = json.loads(session.exec(select(Label)).first().fields)
    assert any(entry.get("evidence", {}).get("bbox") for entry in fields.values())
    ws.close()
    # An export: downscaled pages come from S3, and the cache of them stays there too.
    ws = open_workspace(root)
    with ws.session() as session:  # a reviewer's approval, as the review UI would record it
        for label in session.exec(select(Label)).all()[:6]:
            label.status = "approved"
            session.add(label)
        session.commit()
    ws.close()
    for step in (["triage"], ["split"]):
        done = runner.invoke(app, ["-w", str(root), *step])
        assert done.exit_code == 0, (step, done.output)
    out = tmp_path / "export"
    done = runner.invoke(app, ["-w", str(root), "export", "--format", "swift", "--schema", "invoice", "--dest", str(out),
                               "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for split in ("train", "validation", "test") if (out / f"{split}.jsonl").exists()
             for line in (out / f"{split}.jsonl").read_text().splitlines()]
    assert lines and all((out / image).exists() for line in lines for image in line["images"])
    assert _local_images(root) == []  # the downscaled pages are cached in S3 too
    assert any("/derived/" in o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="curator/derived/")
               .get("Contents", []))
    # The review UI on the same workspace: the page image comes from S3, inside the session.
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return
    from curator.review.users import add_user
    ws = open_workspace(root)
    add_user(ws, "rita", "reviewer", "correct horse battery", by="admin")
    ws.close()
    assert _first_page_source(root, chromium).startswith("data:image/png;base64,")  # inside the session
    # With page_images = "presigned" the browser fetches the page from S3 itself, through a
    # short-lived link: the review server carries no image bytes.
    config = root / "curator.toml"
    config.write_text(config.read_text().replace('page_images = "inline"', 'page_images = "presigned"'))
    ws = open_workspace(root)
    assert ws.config.review.page_images == "presigned"
    ws.close()
    source = _first_page_source(root, chromium)
    assert source.startswith(f"{s3.meta.endpoint_url}/{BUCKET}/curator/pages/") and "Expires=" in source
    assert _local_images(root) == []


def _first_page_source(root: Path, chromium: str) -> str:
    """Log in to the review UI in chromium; the ``src`` of the first document's page image, once loaded."""
    from local_servers import log_in, review_ui
    from playwright.sync_api import expect, sync_playwright

    with review_ui(root) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        log_in(page, url, "rita", "correct horse battery")
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=60_000)
        page.wait_for_function("() => { const img = document.querySelector('img.curator-page');"
                               " return img && img.complete && img.naturalWidth > 100; }", timeout=30_000)
        source = page.locator("img.curator-page").first.get_attribute("src")
        browser.close()
    return source
