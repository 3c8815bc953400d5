"""The review UI shows the three states apart, and "absent" is a control of its own."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from apptest import review_page

from curator.review.editing import ReviewRefused, open_label, save_label
from curator.review.users import add_user
from curator.samples.review_load import populate_for_review
from curator.store.models import Label, LabelStatus
from curator.workspace import init_workspace, open_workspace

PASSWORD = "correct horse battery"


def _workspace_with_unknowns(root: Path) -> int:
    ws = init_workspace(root)
    populate_for_review(ws, 6, seed=2)
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    with ws.session() as session:
        label = session.exec(select(Label).where(Label.status == LabelStatus.NEEDS_REVIEW)).first()
        fields = json.loads(label.fields)
        for path in ("po_number", "due_date"):
            fields[path] = {"state": "unknown", "value": None, "source": "erp", "agent": "mapping"}
        for entry in fields.values():  # nothing else needs a person on this one
            for flag in ("conflict", "candidates", "suspect"):
                entry.pop(flag, None)
        label.fields, label.version = json.dumps(fields), label.version + 1
        session.add(label)
        session.commit()
        label_id = label.id
    ws.close()
    return label_id


def test_unknown_fields_come_first_and_absent_is_a_decision(tmp_path, monkeypatch):
    label_id = _workspace_with_unknowns(tmp_path / "ws")
    monkeypatch.setenv("CURATOR_WORKSPACE", str(tmp_path / "ws"))
    at = review_page("rita", PASSWORD, label_id)
    labels = [w.label for w in at.text_input if w.key and w.key.startswith("f:")]
    assert labels[0].startswith(("due_date", "po_number")) and "unknown" in labels[0]  # what needs a person first
    assert all("unknown" not in label for label in labels[2:])
    version = _stored(tmp_path, label_id).version
    # The approve button refuses while a field of the dataset is unknown.
    at.button(key="approve").click().run()
    assert any("decide every field" in e.value for e in at.error)
    # Typing the due date and ticking "not on the document" for the PO number decides both.
    at.text_input(key=f"f:{label_id}:{version}:due_date").input("2019-12-02")  # one box per document and version
    at.checkbox(key=f"absent:{label_id}:{version}:po_number").check()
    at.button(key="save").click().run()
    assert not at.exception, at.exception
    fields = json.loads(_stored(tmp_path, label_id).fields)
    assert fields["po_number"]["state"] == "absent" and fields["po_number"]["agent"] == "rita"
    assert fields["due_date"]["state"] == "value" and fields["due_date"]["value"] == "2019-12-02"
    at.button(key="approve").click().run()
    assert _stored(tmp_path, label_id).status == LabelStatus.APPROVED


def test_approving_with_unknown_fields_is_refused_in_the_domain_too(tmp_path):
    label_id = _workspace_with_unknowns(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    view = open_label(ws, "rita", label_id)
    assert {f.path: f.state for f in view.fields}["po_number"] == "unknown"
    try:
        save_label(ws, "rita", label_id, base_version=view.version, action="approve")
    except ReviewRefused as refused:
        assert "po_number" in str(refused) and "due_date" in str(refused)
    else:
        raise AssertionError("approved a label with unknown fields")
    ws.close()


def _stored(root: Path, label_id: int) -> Label:
    ws = open_workspace(root / "ws")
    try:
        with ws.session() as session:
            return session.get(Label, label_id)
    finally:
        ws.close()
