"""Five writers, one label: a reviewer's save racing a teacher answer and a triage run loses nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

import curator.curate.triage as triage_module
from curator.curate.triage import triage
from curator.review.editing import StaleVersion, open_label, save_label
from curator.review.users import add_user
from curator.samples.review_load import populate_for_review
from curator.store.models import Label, LabelStatus
from curator.teach.annotate import AnnotateReport, TeacherTask, _merge
from curator.schemas import builtin_schema
from curator.workspace import init_workspace


@pytest.fixture
def ws(tmp_path, store_url):
    workspace = init_workspace(tmp_path / "ws", db_url=store_url)
    populate_for_review(workspace, 8, seed=3)
    add_user(workspace, "rita", "reviewer", "correct horse battery", by="admin")
    yield workspace
    workspace.close()


def _fields(ws, label_id) -> dict:
    with ws.session() as session:
        return json.loads(session.get(Label, label_id).fields)


def _with_a_gap(ws) -> int:
    """A label whose po_number nobody knows yet (as after a bootstrap with an empty EBELN)."""
    with ws.session() as session:
        label = session.exec(select(Label).where(Label.status == LabelStatus.NEEDS_REVIEW)).first()
        fields = json.loads(label.fields)
        fields["po_number"] = {"state": "unknown", "value": None, "source": "erp", "agent": "mapping"}
        label.fields, label.gaps, label.version = json.dumps(fields), json.dumps(["po_number"]), label.version + 1
        session.add(label)
        session.commit()
        return label.id


def test_a_teacher_answer_between_read_and_save_is_never_overwritten(ws):
    label_id = _with_a_gap(ws)
    opened = open_label(ws, "rita", label_id)  # the reviewer reads version v
    task = TeacherTask(label_id, "", [], ["po_number"], {}, "k")
    _merge(ws, task, {"po_number": "4500012345"}, "nova", "gaps", builtin_schema("invoice"),
           AnnotateReport(model="nova", mode="gaps"))
    assert _fields(ws, label_id)["po_number"]["value"] == "4500012345"  # the teacher wrote v+1
    with pytest.raises(StaleVersion, match="changed by nova"):
        save_label(ws, "rita", label_id, base_version=opened.version, changes={"currency": "EUR"})
    assert _fields(ws, label_id)["po_number"]["value"] == "4500012345"  # nothing lost
    again = open_label(ws, "rita", label_id)  # the reviewer reloads and saves on top
    save_label(ws, "rita", label_id, base_version=again.version, changes={"currency": "EUR"})
    fields = _fields(ws, label_id)
    assert fields["po_number"]["value"] == "4500012345" and fields["currency"]["value"] == "EUR"


def test_a_reviewers_save_between_triages_read_and_write_wins(ws, monkeypatch):
    label_id = _with_a_gap(ws)
    with ws.session() as session:
        label = session.get(Label, label_id)
        label.status = LabelStatus.PRE_ANNOTATED  # waiting for triage
        session.add(label)
        session.commit()
    judged = triage_module.judge

    def judge_while_the_reviewer_saves(label, *args, **kwargs):
        verdict = judged(label, *args, **kwargs)
        if label.id == label_id:  # triage has read the label; the reviewer saves now
            current = open_label(ws, "rita", label_id)
            save_label(ws, "rita", label_id, base_version=current.version, changes={"po_number": "4500099999"})
        return verdict

    monkeypatch.setattr(triage_module, "judge", judge_while_the_reviewer_saves)
    report = triage(ws, actor="admin")
    assert report.changed_meanwhile == 1  # triage saw the conflict and left the label for its next run
    with ws.session() as session:
        label = session.get(Label, label_id)
    assert json.loads(label.fields)["po_number"]["value"] == "4500099999"  # the reviewer's edit stands
    assert label.status == LabelStatus.NEEDS_REVIEW  # as the save left it, not as triage had judged
