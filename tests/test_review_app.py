"""The review UI headless with Streamlit's AppTest: log-in, claim, edit, approve, a stale save
refused, a viewer who cannot edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from curator.review.users import add_user
from curator.samples.review_load import populate_for_review
from curator.store.models import Label, ReviewLease
from curator.workspace import init_workspace, open_workspace

APP = str(Path(__file__).resolve().parents[1] / "app" / "review_app.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def ui_workspace(tmp_path, monkeypatch) -> Path:
    ws = init_workspace(tmp_path / "ws")
    populate_for_review(ws, 30, seed=9)
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    add_user(ws, "vic", "viewer", PASSWORD, by="admin")
    ws.close()
    monkeypatch.setenv("CURATOR_WORKSPACE", str(tmp_path / "ws"))
    return tmp_path / "ws"


def _logged_in(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _label(root: Path, label_id: int) -> Label:
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            return session.get(Label, label_id)
    finally:
        ws.close()


def _field_key(at: AppTest, path: str) -> str:
    # One widget per document, version and field: f:<label>:<version>:<path>.
    keys = [w.key for w in at.text_input if w.key and w.key.startswith("f:") and w.key.endswith(f":{path}")]
    assert len(keys) == 1, keys
    return keys[0]


def test_login_refuses_a_wrong_password(ui_workspace):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").input("rita")
    at.text_input(key="login_password").input("not the password")
    at.button[0].click().run()
    assert "actor" not in at.session_state
    assert any("wrong password" in e.value for e in at.error)


def test_claim_edit_resolve_and_approve(ui_workspace):
    at = _logged_in("rita")
    assert at.session_state["actor"].name == "rita"
    assert at.dataframe[0].value.iloc[0]["priority"] == "conflict"  # conflicts first
    at.button(key="start").click().run()
    label_id = at.session_state["label_id"]
    ws = open_workspace(ui_workspace)
    with ws.session() as session:
        assert session.get(ReviewLease, label_id).user_name == "rita"  # opening claimed it
    ws.close()
    # Correct a field and save a draft.
    at.text_input(key=_field_key(at, "po_number")).input("4500099999")
    at.button(key="save").click().run()
    assert not at.exception, at.exception
    fields = json.loads(_label(ui_workspace, label_id).fields)
    assert fields["po_number"]["value"] == "4500099999" and fields["po_number"]["source"] == "human"
    assert fields["po_number"]["agent"] == "rita"
    # One click takes the teacher's value (the ERP's is on screen), then approve moves on.
    teacher_button = next(b for b in at.button if b.key and b.key.startswith("take:") and "Take teacher" in b.label)
    teacher_button.click().run()
    at.button(key="approve").click().run()
    assert not at.exception, at.exception
    approved = _label(ui_workspace, label_id)
    total = json.loads(approved.fields)["total"]
    assert approved.status == "approved" and teacher_button.label.replace("\\", "").endswith(str(total["value"]))
    assert total["previous"]["source"] == "erp" and not total.get("conflict")
    assert at.session_state["label_id"] != label_id
    # Previous goes back.
    at.button(key="previous").click().run()
    assert at.session_state["label_id"] == label_id


def test_a_stale_save_is_refused_and_overwrites_nothing(ui_workspace):
    at = _logged_in("rita")
    at.button(key="start").click().run()
    label_id = at.session_state["label_id"]
    # Meanwhile the label changes under the reviewer (another process wrote a new version).
    ws = open_workspace(ui_workspace)
    with ws.session() as session:
        label = session.get(Label, label_id)
        fields = json.loads(label.fields)
        fields["po_number"] = {"value": "FROM-ELSEWHERE", "source": "human", "agent": "someone", "confidence": 1.0}
        session.execute(update(Label).where(Label.id == label_id).values(fields=json.dumps(fields),
                                                                         version=label.version + 1))
        session.commit()
    ws.close()
    at.text_input(key=_field_key(at, "po_number")).input("MINE")
    at.button(key="save").click().run()
    assert any("changed" in e.value and "nothing was saved" in e.value for e in at.error)
    assert json.loads(_label(ui_workspace, label_id).fields)["po_number"]["value"] == "FROM-ELSEWHERE"
    # The form now shows the stored version.
    assert at.text_input(key=_field_key(at, "po_number")).value == "FROM-ELSEWHERE"


def test_a_value_that_cannot_be_read_shows_inline(ui_workspace):
    at = _logged_in("rita")
    at.button(key="start").click().run()
    label_id = at.session_state["label_id"]
    version = _label(ui_workspace, label_id).version
    at.text_input(key=_field_key(at, "subtotal")).input("twelve")
    at.button(key="save").click().run()
    assert any("subtotal" in e.value for e in at.error)
    assert any("not a number" in e.value for e in at.error)
    assert _label(ui_workspace, label_id).version == version


def test_viewer_reads_but_cannot_edit(ui_workspace):
    at = _logged_in("vic")
    assert not any(b.key == "start" for b in at.button)
    at.session_state["queue_rows:0"] = {"selection": {"rows": [0], "columns": []}}  # a click on the first row
    at.run()
    assert at.session_state["label_id"]
    assert all(w.disabled for w in at.text_input if w.key and w.key.startswith("f:"))
    assert not any(b.key in ("save", "approve", "reject") for b in at.button)
    assert any("Read only" in i.value for i in at.info)


def test_dashboard_renders_charts(ui_workspace):
    at = _logged_in("rita")
    at.sidebar.radio(key="nav").set_value("Dashboard").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 3  # status, class balance, coverage (no reviews yet)
    assert any("nobody has reviewed" in c.value for c in at.caption)


def test_a_button_left_from_the_previous_document_changes_nothing(ui_workspace):
    """After "Approve & next" the previous document's "Take ERP" may still be on screen for a
    moment: a click on it must not write the previous document's value into the next one."""
    at = _logged_in("rita")
    at.button(key="start").click().run()
    first = at.session_state["label_id"]
    stale = next(b for b in at.button if b.key and b.key.startswith("take:") and "Take ERP" in b.label)
    # The next document is loaded (as after approve & next), the old button still in the page tree.
    ws = open_workspace(ui_workspace)
    with ws.session() as session:
        other = session.exec(select(Label).where(Label.id != first, Label.status == "needs_review")).first()
    ws.close()
    at.session_state["label_id"] = other.id
    stale.click().run()
    assert not at.exception, at.exception
    assert any("belonged to the document shown before" in e.value for e in at.error)
    assert at.session_state["resolved"] == {}  # nothing was taken into the document on screen
    at.button(key="save").click().run()  # and saving it writes nothing of the previous one
    assert json.loads(_label(ui_workspace, other.id).fields) == json.loads(other.fields)


def test_a_link_opens_its_document_after_log_in(ui_workspace):
    ws = open_workspace(ui_workspace)
    with ws.session() as session:
        label = session.exec(select(Label).where(Label.status == "needs_review")).first()
    ws.close()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["doc"] = label.document_sha256[:12]  # /?doc=<sha256 prefix>, as the queue links
    at.run()
    at.text_input(key="login_name").input("rita")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["label_id"] == label.id and at.session_state["nav"] == "Review"
    queue = _logged_in("rita")
    links = queue.dataframe[0].value["open"].tolist()
    assert all(link.startswith("?doc=") for link in links) and "why" in queue.dataframe[0].value.columns


def test_admin_approves_agreeing_labels_and_moves_a_reviewers_documents(ui_workspace):
    ws = open_workspace(ui_workspace)
    add_user(ws, "ada", "admin", PASSWORD, by="admin")
    with ws.session() as session:
        label = session.exec(select(Label).where(Label.status == "auto_accepted")).first()
        fields = json.loads(label.fields)
        for entry in fields.values():
            entry["agreed_by"] = ["nova"]  # the teacher read every value the ERP holds
        label.fields = json.dumps(fields)
        session.add(label)
        session.commit()
        agreeing = label.id
    ws.close()
    rita = _logged_in("rita")
    rita.button(key="start").click().run()  # rita now holds a document
    held = rita.session_state["label_id"]
    at = _logged_in("vic")
    assert not any(b.key == "bulk_preview" for b in at.button)  # no admin panel for a viewer
    at = _logged_in("ada")
    at.button(key="bulk_preview").click().run()
    assert any("1 of" in c.value and "qualify" in c.value for c in at.caption)
    at.checkbox(key="bulk_confirm").check().run()
    at.button(key="bulk_approve").click().run()
    assert not at.exception, at.exception
    assert any("Approved 1 labels" in s.value for s in at.success)
    assert _label(ui_workspace, agreeing).status == "approved"
    at.selectbox(key="lease_from").set_value("rita").run()
    at.button(key="lease_move").click().run()  # back to the queue
    assert any("1 documents moved" in s.value for s in at.success)
    ws = open_workspace(ui_workspace)
    with ws.session() as session:
        assert session.get(ReviewLease, held) is None
    ws.close()


def test_tables_in_schema_order_with_row_buttons_and_pasted_rows(ui_workspace):
    at = _logged_in("rita")
    at.button(key="start").click().run()
    label_id = at.session_state["label_id"]
    before = json.loads(_label(ui_workspace, label_id).fields)
    rows = len({p.split("]")[0] for p in before if p.startswith("line_items[")})
    table = f"table:{label_id}:{_label(ui_workspace, label_id).version}:line_items"
    assert list(at.session_state[table]["rows"].columns) == ["description", "quantity", "unit_price", "amount"]
    add = next(b for b in at.button if b.key and b.key.startswith("row_add:"))
    add.click().run()
    assert len(at.session_state[table]["rows"]) == rows + 1
    next(b for b in at.button if b.key and b.key.startswith("row_remove:")).click().run()
    assert len(at.session_state[table]["rows"]) == rows
    next(t for t in at.toggle if t.key and t.key.startswith("paste_open:")).set_value(True).run()
    paste = next(t for t in at.text_area if t.key and t.key.startswith("paste:"))
    paste.input("Amount\tDescription\tQuantity\tUnit price\n24.00\tPasted widget\t2\t12.00\n").run()
    next(b for b in at.button if b.key and b.key.startswith("row_paste:")).click().run()
    assert not at.exception, at.exception
    assert len(at.session_state[table]["rows"]) == rows + 1
    next(t for t in at.text_area if t.key and t.key.startswith("paste:")).input("a\tb\tc\td\te\n").run()
    next(b for b in at.button if b.key and b.key.startswith("row_paste:")).click().run()
    assert any("pasted row 1 has 5 cells" in e.value for e in at.error)  # refused, nothing added
    at.button(key="save").click().run()
    after = json.loads(_label(ui_workspace, label_id).fields)
    added = f"line_items[{rows}]"
    assert after[f"{added}.description"]["value"] == "Pasted widget" and after[f"{added}.amount"]["value"] == 24.0
    assert after[f"{added}.quantity"]["value"] == 2 and after[f"{added}.description"]["source"] == "human"
