"""Roles hold for every caller: domain API, CLI (--as / CURATOR_USER) and the UI (issue #13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from curator.access import Actor, PermissionDenied, require
from curator.cli import app
from curator.curate.export import export_dataset
from curator.curate.splits import assign_splits
from curator.curate.triage import triage
from curator.matching.decisions import confirm_match
from curator.finetune.bedrock import submit_bedrock
from curator.review.editing import open_label, save_label
from curator.review.leases import claim, holder, release
from curator.review.users import LoginFailed, LoginThrottled, add_user, authenticate, disable_user
from curator.store.models import Label, LabelStatus
from curator.teach.annotate import annotate
from helpers import PASSWORD, exportable_workspace

APP = str(Path(__file__).resolve().parents[2] / "app" / "review_app.py")


@pytest.fixture
def ws(tmp_path):
    workspace = exportable_workspace(tmp_path / "ws")
    for name, role in (("ana", "author"), ("rita", "reviewer"), ("rob", "reviewer"), ("vic", "viewer")):
        add_user(workspace, name, role, PASSWORD, by="admin")
    yield workspace
    workspace.close()


def _review_label(ws) -> int:
    with ws.session() as session:
        return session.exec(select(Label.id).where(Label.status == LabelStatus.NEEDS_REVIEW)).first()


@pytest.mark.parametrize("who", ["rita", "vic"])
def test_reviewers_and_viewers_cannot_export_split_triage_or_spend(ws, who):
    with pytest.raises(PermissionDenied, match="needs the admin or author role"):
        export_dataset(ws, actor=who, fmt="swift", schema_name="invoice")
    with pytest.raises(PermissionDenied):
        assign_splits(ws, actor=who)
    with pytest.raises(PermissionDenied):
        triage(ws, actor=who)
    with pytest.raises(PermissionDenied):
        annotate(ws, object(), actor=who, schema_name="invoice")
    with pytest.raises(PermissionDenied):
        submit_bedrock(ws, Actor(who, "admin"), base="nova-lite", role_arn="arn:aws:iam::1:role/x", dry_run=True)
    with pytest.raises(PermissionDenied):
        confirm_match(ws, match_id=1, by=who)
    assert not (ws.root / "exports").exists()


def test_the_role_is_read_from_the_store_not_from_the_caller(ws):
    # A made-up actor is worth nothing: no such user, however "admin" its role claims to be.
    with pytest.raises(PermissionDenied, match="no user 'ghost'"):
        save_label(ws, Actor("ghost", "admin"), _review_label(ws), base_version=1, action="approve")
    # Claiming "admin" for a viewer changes nothing: the stored role decides.
    with pytest.raises(PermissionDenied, match=r"vic \(viewer\)"):
        export_dataset(ws, actor=Actor("vic", "admin"), fmt="swift", schema_name="invoice")
    with pytest.raises(PermissionDenied, match="no acting user"):
        add_user(ws, "mallory", "admin", PASSWORD, by=None)
    assert require(ws, "ana", "export") == Actor("ana", "author")


def test_disabling_or_demoting_takes_effect_at_once(ws):
    label_id = _review_label(ws)
    view = open_label(ws, "rita", label_id)  # rita's session is open, her lease taken
    disable_user(ws, "rita", by="admin")
    with pytest.raises(PermissionDenied, match="disabled"):
        save_label(ws, "rita", label_id, base_version=view.version, changes={"po_number": "X"}, action="draft")
    with pytest.raises(PermissionDenied):
        require(ws, "rita", "read")
    add_user(ws, "ana", "viewer", PASSWORD, by="admin")  # demoted
    with pytest.raises(PermissionDenied, match=r"ana \(viewer\)"):
        assign_splits(ws, actor="ana")
    with ws.session() as session:
        assert session.get(Label, label_id).version == view.version  # nothing was written


def test_a_forged_actor_cannot_release_someone_elses_lease(ws):
    label_id = _review_label(ws)
    claim(ws, Actor("rita", "reviewer"), label_id)
    with pytest.raises(PermissionDenied):
        release(ws, Actor("nobody", "admin"), label_id)
    release(ws, Actor("rob", "reviewer"), label_id)  # rob may release only his own leases
    assert holder(ws, label_id)[0] == "rita"


def test_the_cli_acts_as_a_workspace_user(ws, monkeypatch):
    runner = CliRunner()
    base = ["-w", str(ws.root)]
    refused = runner.invoke(app, base + ["--as", "rita", "export", "--format", "swift", "--schema", "invoice"])
    assert refused.exit_code == 2 and "rita (reviewer) may not export" in refused.output
    assert "admin or author" in refused.output and "Traceback" not in refused.output
    monkeypatch.setenv("CURATOR_USER", "vic")
    assert runner.invoke(app, base + ["split"]).exit_code == 2
    assert runner.invoke(app, base + ["triage"]).exit_code == 2
    assert runner.invoke(app, base + ["finetune", "submit", "--provider", "bedrock", "--base", "nova-lite",
                                      "--role-arn", "arn:aws:iam::1:role/x", "--dry-run"]).exit_code == 2
    monkeypatch.setenv("CURATOR_USER", "ghost")
    assert "no user 'ghost'" in runner.invoke(app, base + ["split"]).output
    monkeypatch.delenv("CURATOR_USER")
    # The default is the local admin `curator init` made; a disabled admin cannot act either.
    done = runner.invoke(app, base + ["export", "--format", "swift", "--schema", "invoice", "--json"])
    assert done.exit_code == 0, done.output
    assert runner.invoke(app, base + ["users", "disable", "ana"]).exit_code == 0
    disable_user(ws, "admin", by="admin")
    assert "disabled" in runner.invoke(app, base + ["split"]).output
    # Managing users needs an admin: a reviewer cannot add one, even through the CLI.
    sneaky = runner.invoke(app, base + ["--as", "rita", "users", "add", "eve", "--role", "admin",
                                        "--password-stdin"], input=PASSWORD + "\n")
    assert sneaky.exit_code == 2 and "may not manage users" in sneaky.output


def test_log_in_is_rate_limited_per_name_and_address(ws):
    for _ in range(25):
        with pytest.raises(LoginFailed):
            authenticate(ws, "rita", "wrong password", address="10.9.8.7")
    with pytest.raises(LoginThrottled):
        authenticate(ws, "rita", PASSWORD, address="10.9.8.7")  # the right one, too soon
    # Another name from the same address is throttled once that address failed 20 times.
    with pytest.raises(LoginThrottled):
        authenticate(ws, "rob", PASSWORD, address="10.9.8.7")
    assert authenticate(ws, "rob", PASSWORD, address="10.1.1.1") == Actor("rob", "reviewer")


def test_the_ui_signs_out_a_disabled_user_and_shows_nothing_of_the_server(ws, monkeypatch):
    monkeypatch.setenv("CURATOR_WORKSPACE", str(ws.root))
    at = AppTest.from_file(APP, default_timeout=60).run()
    page = " ".join(str(getattr(e, "value", "")) for e in (*at.caption, *at.markdown, *at.title))
    assert str(ws.root) not in page and "workspace" not in page.lower()
    at.text_input(key="login_name").input("rita")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["actor"].name == "rita"
    disable_user(ws, "rita", by="admin")
    at.run()
    assert "actor" not in at.session_state
    assert any("signed out" in i.value for i in at.info)
