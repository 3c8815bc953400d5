"""Review domain: users and roles, the queue, leases, edits with optimistic locking, the audit
trail and the dashboard figures, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select
from typer.testing import CliRunner

from curator.cli import app
from curator.review.dashboard import class_balance, field_coverage, reviewer_throughput, status_counts
from curator.review.editing import ReviewRefused, StaleVersion, history, open_label, save_label
from curator.review.leases import LeaseHeld, claim
from curator.review.queue import REASONS, QueueFilter, next_document, queue_schemas, review_queue
from curator.review.users import LoginFailed, PermissionDenied, add_user, authenticate
from curator.samples.review_load import populate_for_review
from curator.store.models import Document, Label, LabelEvent, Page, ReviewLease, User, utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def team(workspace):
    populate_for_review(workspace, 60, seed=5)
    people = {role: add_user(workspace, f"{role}-1", role, PASSWORD, by="admin") for role in ("admin", "reviewer", "viewer")}
    people["reviewer2"] = add_user(workspace, "reviewer-2", "reviewer", PASSWORD, by="admin")
    return workspace, people


def _label(ws, label_id) -> Label:
    with ws.session() as session:
        return session.get(Label, label_id)


def test_users_log_in_with_argon2_hashes_only(team):
    ws, people = team
    assert authenticate(ws, "reviewer-1", PASSWORD) == people["reviewer"]
    with pytest.raises(LoginFailed):
        authenticate(ws, "reviewer-1", "wrong password")
    with pytest.raises(LoginFailed):
        authenticate(ws, "nobody", PASSWORD)
    with ws.session() as session:
        stored = session.exec(select(User.password_hash)).all()
    # every password is an argon2id hash; the local admin `init` made has none (no UI log-in)
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored if h)
    with pytest.raises(ValueError, match="role must be one of"):
        add_user(ws, "x", "superuser", PASSWORD, by="admin")
    with pytest.raises(PermissionDenied):
        add_user(ws, "x", "reviewer", PASSWORD, by=people["reviewer"])
    result = CliRunner().invoke(app, ["-w", str(ws.root), "users", "add", "ann", "--role", "author",
                                      "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    listed = json.loads(CliRunner().invoke(app, ["-w", str(ws.root), "users", "list", "--json"]).stdout)
    assert {"name": "ann", "role": "author"}.items() <= next(u for u in listed if u["name"] == "ann").items()


def test_queue_is_ordered_by_priority_and_filters(team):
    ws, people = team
    me = people["reviewer"]
    items = review_queue(ws, me, limit=100)
    assert items and [i.priority for i in items] == sorted(i.priority for i in items)
    assert items[0].priority == 0 and items[0].conflicts == ["total"]
    assert all(i.status == "needs_review" for i in items)
    conflicts = review_queue(ws, me, QueueFilter(conflicts_only=True), limit=100)
    assert conflicts and all(i.conflicts for i in conflicts)
    assert review_queue(ws, me, QueueFilter(conflict_field="total"), limit=100) == conflicts
    assert review_queue(ws, me, QueueFilter(conflict_field="tax"), limit=100) == []
    teacher = review_queue(ws, me, QueueFilter(source="teacher"), limit=100)
    assert teacher and all(i.priority in (0, 1) for i in teacher)
    assert review_queue(ws, me, QueueFilter(document_class="w2")) == []
    # By why a person is needed, and by schema.
    by_reason = {reason: review_queue(ws, me, QueueFilter(reason=reason), limit=1000) for reason in REASONS}
    assert by_reason["conflict"] == review_queue(ws, me, QueueFilter(conflicts_only=True), limit=1000)
    assert by_reason["suspect field"] and all("suspect field" in i.reasons for i in by_reason["suspect field"])
    every = review_queue(ws, me, limit=1000)
    for reason, listed in by_reason.items():
        assert [i.label_id for i in listed] == [i.label_id for i in every if reason in i.reasons]
    assert queue_schemas(ws, me) == ["invoice"]
    assert review_queue(ws, me, QueueFilter(schema_name="invoice"), limit=1000) == every
    assert review_queue(ws, me, QueueFilter(schema_name="w2")) == []


def test_leases_keep_two_reviewers_apart(team):
    ws, people = team
    first = next_document(ws, people["reviewer"])
    second = next_document(ws, people["reviewer2"])
    assert first.label_id != second.label_id
    with pytest.raises(LeaseHeld, match="reviewer-1 is working on this document"):
        open_label(ws, people["reviewer2"], first.label_id)
    # The queue hides documents someone else holds.
    assert first.label_id not in [i.label_id for i in review_queue(ws, people["reviewer2"], limit=100)]
    # An expired lease is free again.
    with ws.session() as session:
        session.execute(update(ReviewLease).where(ReviewLease.label_id == first.label_id)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    assert claim(ws, people["reviewer2"], first.label_id) > utcnow()
    with pytest.raises(PermissionDenied):
        next_document(ws, people["viewer"])


def _first_conflict(team):
    """The reviewer, the first document with a conflict (opened, so claimed) and its ``total``."""
    ws, people = team
    me = people["reviewer"]
    item = next_document(ws, me, QueueFilter(conflicts_only=True))
    view = open_label(ws, me, item.label_id)
    return ws, me, item, view, next(f for f in view.fields if f.path == "total")


def _show(ws, label_id: int, path: str, value) -> None:
    """Put another value on screen for a field (as an older import might have left it)."""
    with ws.session() as session:
        fields = json.loads(session.get(Label, label_id).fields)
        fields[path]["value"] = value
        session.execute(update(Label).where(Label.id == label_id).values(fields=json.dumps(fields)))
        session.commit()


def test_approving_chooses_a_shown_conflict_value_and_refuses_an_unlisted_one(team):
    ws, me, item, view, total = _first_conflict(team)
    erp, teacher = (c["value"] for c in total.candidates)
    _show(ws, item.label_id, "total", 0.01)  # none of the suggestions: a person must choose
    with pytest.raises(ReviewRefused, match="conflict") as refused:
        save_label(ws, me, item.label_id, base_version=view.version, action="approve")
    assert refused.value.field_errors == {"total": "conflict not resolved"}
    _show(ws, item.label_id, "total", teacher)  # one of them, on screen: approving chooses it
    approved = save_label(ws, me, item.label_id, base_version=view.version, action="approve")
    entry = json.loads(_label(ws, item.label_id).fields)["total"]
    assert approved.status == "approved" and entry["value"] == teacher != erp and not entry.get("conflict")
    assert (entry["source"], entry["agent"], entry["previous"]["value"]) == ("human", "reviewer-1", teacher)
    events = history(ws, me, item.label_id)
    assert [(e["field"], e["reason"]) for e in events[:2]] == [("(status)", "approved"), ("total", "approved as shown")]


def test_edit_approve_reject_and_stale_saves(team):
    people = team[1]
    ws, me, item, view, total = _first_conflict(team)
    assert total.conflict and [c["source"] for c in total.candidates] == ["erp", "teacher"]
    saved = save_label(ws, me, item.label_id, base_version=view.version, changes={"po_number": "4500012345"})
    assert saved.version == view.version + 1 and saved.status == "needs_review"
    po = next(f for f in saved.fields if f.path == "po_number")
    assert (po.value, po.source, po.agent, po.confidence) == ("4500012345", "human", "reviewer-1", 1.0)
    # A save based on the old version is refused and changes nothing.
    with pytest.raises(StaleVersion, match="nothing was saved"):
        save_label(ws, me, item.label_id, base_version=view.version, changes={"po_number": "OLD"})
    assert json.loads(_label(ws, item.label_id).fields)["po_number"]["value"] == "4500012345"
    # A value that breaks the schema shows inline and blocks approval.
    with pytest.raises(ReviewRefused) as refused:
        save_label(ws, me, item.label_id, base_version=saved.version, action="approve",
                   changes={"total": total.candidates[0]["value"], "currency": "EURO"})
    assert "currency" in refused.value.field_errors
    approved = save_label(ws, me, item.label_id, base_version=saved.version, action="approve",
                          changes={"total": total.candidates[0]["value"]})
    assert approved.status == "approved" and approved.lease is None
    events = history(ws, me, item.label_id)
    assert [e["field"] for e in events[:3]] == ["(status)", "total", "po_number"]
    assert events[1]["reason"] == "resolved a conflict" and events[0]["who"] == "reviewer-1"
    # Reject needs a reason; the viewer may do nothing but read.
    other = next_document(ws, me)
    view = open_label(ws, me, other.label_id)
    with pytest.raises(ReviewRefused, match="why"):
        save_label(ws, me, other.label_id, base_version=view.version, action="reject")
    rejected = save_label(ws, me, other.label_id, base_version=view.version, action="reject", reason="not an invoice")
    assert rejected.status == "rejected"
    with pytest.raises(PermissionDenied):
        save_label(ws, people["viewer"], other.label_id, base_version=rejected.version, changes={"total": 1.0})
    # Someone else's lease blocks a save even with the right version.
    third = next_document(ws, people["reviewer2"])
    with pytest.raises(LeaseHeld):
        save_label(ws, me, third.label_id, base_version=third.version, changes={"po_number": "1"})


def test_viewer_sees_ssns_masked(team):
    ws, people = team
    with ws.session() as session:
        document = session.exec(select(Document)).first()
        page = session.exec(select(Page).where(Page.document_sha256 == document.sha256)).first()
        w2 = Document(sha256="f" * 64, file_name="w2.pdf", source_uri="x", mime="application/pdf", size_bytes=1,
                      page_count=1, document_class="w2", original_blob=document.original_blob, renderer="x", dpi=100)
        session.add(w2)
        session.add(Page(document_sha256=w2.sha256, index=0, blob_key=page.blob_key, width=1, height=1, phash="0"))
        label = Label(document_sha256=w2.sha256, schema_name="w2", schema_version="1", status="needs_review",
                      fields=json.dumps({"employee.ssn": {"value": "987-65-4321", "source": "erp", "confidence": 0.9}}))
        session.add(label)
        session.commit()
        label_id = label.id
    viewer_view = open_label(ws, people["viewer"], label_id)
    reviewer_view = open_label(ws, people["reviewer"], label_id)
    ssn = lambda view: next(f.value for f in view.fields if f.path == "employee.ssn")  # noqa: E731
    assert ssn(viewer_view) == "***-**-4321" and not viewer_view.editable
    assert ssn(reviewer_view) == "987-65-4321" and reviewer_view.editable


def test_two_reviewers_at_once_never_share_a_document(team):
    """Both reviewers pull from the same queue as fast as they can; the store's lease and
    version checks must keep every document with one of them."""
    ws, people = team
    done: dict[str, list[int]] = {"reviewer-1": [], "reviewer-2": []}
    errors: list[BaseException] = []

    def work(actor):
        try:
            for _ in range(8):
                item = next_document(ws, actor)
                if item is None:
                    return
                view = open_label(ws, actor, item.label_id, claim_lease=False)
                fixes = {f.path: f.candidates[0]["value"] for f in view.fields if f.conflict}
                save_label(ws, actor, item.label_id, base_version=view.version, changes=fixes, action="approve")
                done[actor.name].append(item.label_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(people[key],)) for key in ("reviewer", "reviewer2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    first, second = set(done["reviewer-1"]), set(done["reviewer-2"])
    assert len(first) == 8 and len(second) == 8 and not first & second
    with ws.session() as session:
        approvals = session.exec(select(LabelEvent.label_id).where(LabelEvent.new == "approved",
                                                                   LabelEvent.source == "human")).all()
    assert sorted(approvals) == sorted(first | second)  # each approved exactly once


def test_dashboard_figures(team):
    ws, people = team
    me = people["reviewer"]
    item = next_document(ws, me, QueueFilter(source="teacher", statuses=("needs_review",)))
    view = open_label(ws, me, item.label_id, claim_lease=False)
    save_label(ws, me, item.label_id, base_version=view.version, action="approve",
               changes={f.path: f.candidates[0]["value"] for f in view.fields if f.conflict})
    statuses = {(r["status"]): r["labels"] for r in status_counts(ws, me)}
    assert sum(statuses.values()) == 60 and statuses["approved"] == 1
    assert class_balance(ws, me) == [{"class": "invoice", "documents": 60, "ready": statuses["auto_accepted"] + 1}]
    coverage = {(r["field"], r["source"]): r["labels"] for r in field_coverage(ws, me, "invoice")}
    assert coverage[("total", "erp")] + coverage.get(("total", "human"), 0) == 60
    assert coverage[("line_items[].amount", "teacher")] > 0
    assert reviewer_throughput(ws, me)[0]["documents"] == 1


def _agree_everywhere(ws, label_id) -> None:
    """Make the teacher agree with every ERP value of a label (as a verify pass would)."""
    with ws.session() as session:
        label = session.get(Label, label_id)
        fields = json.loads(label.fields)
        for entry in fields.values():
            if entry.get("state") in ("value", "absent"):
                entry["agreed_by"] = ["nova"]
        label.fields = json.dumps(fields)
        label.status = "needs_review"
        session.add(label)
        session.commit()


def test_admin_approves_in_bulk_only_where_erp_and_teacher_agree(team):
    from curator.review.bulk import approve_agreeing
    ws, people = team
    with ws.session() as session:
        labels = session.exec(select(Label).order_by(Label.id)).all()
    clean = [label.id for label in labels if '"conflict": true' not in label.fields
             and '"suspect": true' not in label.fields and '"source": "teacher"' not in label.fields][:4]
    conflicted = next(label.id for label in labels if '"conflict": true' in label.fields)
    for label_id in [*clean, conflicted]:
        _agree_everywhere(ws, label_id)
    claim(ws, people["reviewer"], clean[0])  # a reviewer is on it: left alone
    with pytest.raises(PermissionDenied):
        approve_agreeing(ws, people["reviewer"])
    preview = approve_agreeing(ws, people["admin"], dry_run=True)
    assert preview.approved == 3 and sorted(preview.label_ids) == sorted(clean[1:])
    assert all(_label(ws, i).status == "needs_review" for i in clean)  # a dry run changes nothing
    assert preview.held_by_reviewer == 1 and preview.not_qualified.get("a conflict", 0) >= 1
    # labels with values from one source only (ERP without the teacher) never qualify
    assert preview.not_qualified.get("a value only the erp gave", 0) > 0
    result = CliRunner().invoke(app, ["-w", str(ws.root), "--as", "admin-1", "queue", "approve-agreeing", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["approved"] == 3
    assert [_label(ws, i).status for i in clean] == ["needs_review", "approved", "approved", "approved"]
    assert _label(ws, conflicted).status == "needs_review"
    with ws.session() as session:
        event = session.exec(select(LabelEvent).where(LabelEvent.label_id == clean[1],
                                                      LabelEvent.field == "(status)")).all()[-1]
    assert event.agent == "admin-1" and "agree on every field" in event.reason


def test_admin_reassigns_a_reviewers_documents(team):
    from curator.review.bulk import lease_holders, reassign_leases
    ws, people = team
    first = next_document(ws, people["reviewer"])
    second = next_document(ws, people["reviewer"], skip=frozenset({first.label_id}))
    assert lease_holders(ws, people["admin"]) == {"reviewer-1": 2}
    with pytest.raises(PermissionDenied):
        reassign_leases(ws, people["reviewer2"], "reviewer-1", "reviewer-2")
    with pytest.raises(PermissionDenied):  # the new holder must be someone who may edit
        reassign_leases(ws, people["admin"], "reviewer-1", "viewer-1")
    assert reassign_leases(ws, people["admin"], "reviewer-1", "reviewer-2") == 2
    with pytest.raises(LeaseHeld):
        claim(ws, people["reviewer"], first.label_id)
    claim(ws, people["reviewer2"], second.label_id)  # now theirs
    result = CliRunner().invoke(app, ["-w", str(ws.root), "--as", "admin-1", "queue", "reassign", "reviewer-2"])
    assert result.exit_code == 0 and "2 documents of reviewer-2 moved back to the queue" in result.output
    assert lease_holders(ws, people["admin"]) == {}
    refused = CliRunner().invoke(app, ["-w", str(ws.root), "--as", "reviewer-1", "queue", "leases"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
