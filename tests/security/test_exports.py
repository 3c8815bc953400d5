"""Exports write only what they own (issue #13, item 1)."""

from __future__ import annotations

import json
import os

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from curator.cli import app
from curator.curate.destination import UnsafeDestination
from curator.curate.export import ExportRefused, export_dataset
from curator.store.models import Export, Label
from helpers import exportable_workspace


@pytest.fixture
def ws(tmp_path):
    workspace = exportable_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


def _exports(ws) -> int:
    with ws.session() as session:
        return session.exec(select(func.count()).select_from(Export)).one()


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_dest_holding_the_users_notes_is_refused_and_kept(ws, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "plan.md").write_text("my plan")
    result = CliRunner().invoke(app, ["-w", str(ws.root), "export", "--format", "swift", "--schema", "invoice",
                                      "--dest", str(notes)])
    assert result.exit_code == 2 and "not a Curator export" in result.output
    assert (notes / "plan.md").read_text() == "my plan" and _tree(notes) == ["plan.md"]
    assert _exports(ws) == 0


def test_dest_the_workspace_is_refused(ws):
    before = _tree(ws.root)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "export", "--format", "swift", "--schema", "invoice",
                                      "--dest", str(ws.root)])
    assert result.exit_code == 2 and "the workspace or one of its parents" in result.output
    assert (ws.root / "curator.db").exists() and (ws.root / "curator.toml").exists() and (ws.root / "blobs").is_dir()
    assert _tree(ws.root) == before


def test_dest_dotdot_from_inside_the_workspace_is_refused(ws, tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("mine")
    monkeypatch.chdir(ws.root)
    result = CliRunner().invoke(app, ["export", "--format", "swift", "--schema", "invoice", "--dest", ".."])
    assert result.exit_code == 2 and "the workspace or one of its parents" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine" and (ws.root / "curator.db").exists()


@pytest.mark.parametrize("inside", ["blobs", "blobs/pages", "curator.toml"])
def test_dest_elsewhere_inside_the_workspace_is_refused(ws, inside):
    with pytest.raises(UnsafeDestination):
        export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(ws.root / inside))


def test_a_previous_export_is_replaced_whole_and_only_it(ws, tmp_path):
    dest = tmp_path / "out"
    first = export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    second = export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    assert first.fingerprint == second.fingerprint and _exports(ws) == 2
    assert json.loads((dest / "manifest.json").read_text())["schema"] == "invoice"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left behind
    # Another format or schema is not "a previous export of the same kind": refused.
    with pytest.raises(UnsafeDestination, match="holds a swift extraction export"):
        export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(dest),
                       s3_prefix="s3://datasets/x")
    # A file the user added to the export folder is never deleted: the export is refused.
    (dest / "README.txt").write_text("notes about this dataset")
    with pytest.raises(UnsafeDestination, match="README.txt"):
        export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    assert (dest / "README.txt").exists() and (dest / "train.jsonl").exists()


def test_an_empty_export_changes_nothing_and_records_nothing(ws, tmp_path):
    dest = tmp_path / "out"
    good = export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    with ws.session() as session:
        for label in session.exec(select(Label)):
            label.status = "needs_review"
            session.add(label)
        session.commit()
    with pytest.raises(ExportRefused, match="no approved or auto-accepted invoice labels"):
        export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    assert _exports(ws) == 1 and good.export_id is not None
    assert sorted(os.listdir(tmp_path)) == ["out", "ws"]


def test_an_invalid_export_never_replaces_a_valid_one(ws, tmp_path):
    dest = tmp_path / "nova"
    good = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(dest),
                          s3_prefix="s3://datasets/invoices")
    assert not good.validation["errors"]
    before = (dest / "train.jsonl").read_bytes()
    bad = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(dest))  # no s3://
    assert bad.validation["errors"] and bad.kept_previous == str(dest) and bad.export_id is None
    assert (dest / "train.jsonl").read_bytes() == before and _exports(ws) == 1


def test_an_export_of_the_previous_release_is_recognised_by_the_store(ws, tmp_path):
    dest = tmp_path / "out"
    export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    manifest = json.loads((dest / "manifest.json").read_text())
    del manifest["schema"]  # as the previous release wrote it
    (dest / "manifest.json").write_text(json.dumps(manifest))
    again = export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(dest))
    assert again.export_id is not None and json.loads((dest / "manifest.json").read_text())["schema"] == "invoice"
    stranger = tmp_path / "elsewhere"  # the same manifest in a folder the store never wrote
    stranger.mkdir()
    (stranger / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UnsafeDestination):
        export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(stranger))
