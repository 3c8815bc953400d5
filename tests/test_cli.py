"""The CLI as a user runs it: thin commands over the stages, JSON when asked, clear exits."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

import badfiles
from curator.cli import app

runner = CliRunner()


def _run(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_init_ingest_list_show_quarantine(tmp_path, store_url):
    ws = tmp_path / "ws"
    args = ["init", str(ws), "--json"] + (["--db", store_url] if store_url else [])
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workspace"] == str(ws.resolve())

    docs = tmp_path / "docs"
    docs.mkdir()
    badfiles.good_pdf(docs / "INV-1.pdf", "Invoice INV-1", pages=2)
    badfiles.corrupt_pdf(docs / "broken.pdf")
    result = _run("-w", str(ws), "ingest", "docs", str(docs), "--class", "invoice", "--json")
    assert result.exit_code == 1  # bad input: the batch finishes, the exit code says so
    report = json.loads(result.stdout)
    assert report["documents_added"] == 1 and report["quarantined"] == 1
    assert report["problems"][0]["file"] == "broken.pdf" and report["problems"][0]["reason"] == "corrupt"

    listed = json.loads(_run("-w", str(ws), "docs", "list", "--json").stdout)
    assert [d["file_name"] for d in listed] == ["INV-1.pdf"] and listed[0]["page_count"] == 2
    shown = json.loads(_run("-w", str(ws), "docs", "show", listed[0]["sha256"][:10], "--text", "--json").stdout)
    assert "Invoice INV-1 page 2" in shown["pages"][1]["text"]
    quarantine = json.loads(_run("-w", str(ws), "docs", "quarantine", "--json").stdout)
    assert quarantine[0]["reason"] == "corrupt" and quarantine[0]["kept_as"]

    human = _run("-w", str(ws), "docs", "quarantine")
    assert "broken.pdf" in human.stdout and "corrupt" in human.stdout


def test_workspace_from_environment_and_cwd(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert _run("init", str(ws)).exit_code == 0
    result = _run("docs", "list", "--json", env={"CURATOR_WORKSPACE": str(ws)})
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    monkeypatch.chdir(ws)
    monkeypatch.delenv("CURATOR_WORKSPACE", raising=False)
    assert _run("db", "current", "--json").exit_code == 0


def test_no_workspace_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CURATOR_WORKSPACE", raising=False)
    result = runner.invoke(app, ["docs", "list"])
    assert result.exit_code == 2
    assert "curator init" in result.output


def test_unknown_document_and_missing_folder(tmp_path):
    ws = tmp_path / "ws"
    _run("init", str(ws))
    result = runner.invoke(app, ["-w", str(ws), "docs", "show", "nothing-like-this"])
    assert result.exit_code == 2 and "no document matches" in result.output
    result = runner.invoke(app, ["-w", str(ws), "ingest", "docs", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_samples_command(tmp_path):
    result = _run("samples", "invoices", "--n", "4", "--seed", "3", "--out", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["documents"] == 4
    assert len((tmp_path / "c" / "truth" / "labels.jsonl").read_text().splitlines()) == 4
    assert runner.invoke(app, ["samples", "receipts", "--out", str(tmp_path / "x")]).exit_code == 2


def test_demo_end_to_end_and_rerun(tmp_path):
    result = _run("demo", "--dir", str(tmp_path / "demo"), "--n", "5", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["documents"] == 10
    assert report["counts"]["by_class"] == {"invoice": 5, "w2": 5}
    for kind in ("w2", "invoices"):
        bootstrap = report["bootstrap"][kind]
        assert bootstrap["match"]["auto"] >= 3 and bootstrap["map"]["labels_created"] == bootstrap["match"]["auto"]
    again = json.loads(_run("demo", "--dir", str(tmp_path / "demo"), "--n", "5", "--json").stdout)
    assert all(ingest["unchanged"] == 5 and ingest["documents_added"] == 0 for ingest in again["ingest"].values())
    assert all(b["map"]["labels_created"] == 0 and b["ocr"]["pages"] == 0 for b in again["bootstrap"].values())
    human = _run("demo", "--dir", str(tmp_path / "demo"), "--n", "5")
    assert "teacher: skipped" in human.stdout and "match list" in human.stdout
    assert "bootstrap invoices:" in human.stdout and "bootstrap w2:" in human.stdout
    shutil.rmtree(tmp_path / "demo")


def test_the_clis_choices_mirror_the_domain():
    from curator.cli import choices
    from curator.curate.validate import TARGETS
    from curator.finetune.sagemaker import DEFAULT_MODEL
    from curator.mapping.rules import builtin_mapping_names
    from curator.samples.corpus import KINDS
    from exports import FORMATS

    assert choices.EXPORT_FORMATS == tuple(FORMATS) and choices.VALIDATION_TARGETS == tuple(TARGETS)
    assert choices.CORPORA == tuple(KINDS) and choices.BUILTIN_MAPPINGS == tuple(builtin_mapping_names())
    assert choices.SAGEMAKER_MODEL == DEFAULT_MODEL


def test_the_cli_starts_without_the_domains_libraries():
    import subprocess
    import sys

    code = ("import sys, curator.cli.app; heavy = {'sqlalchemy', 'sqlmodel', 'pandas', 'boto3', 'label_studio_sdk', "
            "'alembic', 'scipy', 'PIL', 'streamlit', 'jsonschema'} & {m.split('.')[0] for m in sys.modules}; "
            "print(sorted(heavy))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"curator --help imports {loaded}"
