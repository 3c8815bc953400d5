"""Text is text; sensitive values stay masked; small things (issue #13, items 6, 7, 8)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from markdown_it import MarkdownIt
from sqlmodel import select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from curator.cli import app
from curator.curate.export import export_dataset
from curator.evaluate.runner import evaluate
from curator.review.editing import open_label, save_label
from curator.review.users import add_user
from curator.sensitive import is_sensitive, redact_text
from curator.schemas import builtin_schema
from curator.store.models import Label, LabelEvent
from curator.text import plain
from curator.workspace import init_workspace
from apptest import review_page
from helpers import PASSWORD, SSN, exportable_workspace, w2_label

HOSTILE = ["![b](http://host/x.png)", "[click me](http://evil.example/)", "<img src=x onerror=alert(1)>",
           "**bold** _it_ :red[red] $x^2$ `code`", "# heading", "a\x1b[2Jb"]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_renders_as_exactly_that_text(text):
    tokens = MarkdownIt("commonmark").parseInline(plain(text))[0].children
    assert [t.type for t in tokens] == ["text"]
    assert tokens[0].content == text.replace("\x1b", "\\x1b")


def _markdown_sources(at: AppTest) -> list[str]:
    sources = [e.value for e in (*at.markdown, *at.header, *at.caption, *at.error, *at.success, *at.warning)]
    sources += [w.label for w in (*at.button, *at.text_input)]
    return [str(s) for s in sources]


def test_erp_and_teacher_values_are_shown_as_text_in_the_review_ui(tmp_path, monkeypatch):
    ws = exportable_workspace(tmp_path / "ws", n=6)
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    with ws.session() as session:
        label = session.exec(select(Label)).first()
        fields = json.loads(label.fields)
        fields["seller_name"] = {"value": HOSTILE[0], "source": "erp", "agent": "x", "confidence": 0.3,
                                 "conflict": True, "candidates": [
                                     {"value": HOSTILE[0], "source": "erp", "agent": "x"},
                                     {"value": HOSTILE[1], "source": "teacher", "agent": "[m](http://evil.example)"}]}
        label.fields, label.status = json.dumps(fields), "needs_review"
        label_id = label.id
        from curator.store.models import Document

        doc = session.get(Document, label.document_sha256)
        doc.file_name = "<img src=x>![f](http://host/f.png).pdf"
        session.add_all([label, doc])
        session.commit()
    ws.close()
    monkeypatch.setenv("CURATOR_WORKSPACE", str(tmp_path / "ws"))
    at = review_page("rita", PASSWORD, label_id)
    md = MarkdownIt("commonmark")
    shown = _markdown_sources(at)
    assert any("http" in s for s in shown)  # the hostile values are on the page...
    for source in shown:
        if "data:image/png;base64" in source:  # the page image: our own markup, inline
            continue
        kinds = {t.type for block in md.parse(source) if block.children for t in block.children}
        assert not kinds & {"image", "link_open", "html_inline"}, source  # ...as text only
    assert not at.get("imgs")  # page images are inline, never a media URL
    for block in at.get("html"):  # our own markup (the page viewer, scripts): no data value in it raw
        assert "<img src=x>" not in block.value and "http://host" not in block.value


def test_page_images_are_inline_and_viewers_get_none_with_an_ssn(tmp_path, monkeypatch):
    ws = init_workspace(tmp_path / "ws")
    label_id = w2_label(ws)
    add_user(ws, "vic", "viewer", PASSWORD, by="admin")
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    seen = open_label(ws, "vic", label_id)
    assert seen.pages == [] and seen.pages_withheld
    assert {f.path: f.value for f in seen.fields}["employee.ssn"] == "***-**-5678"
    assert open_label(ws, "rita", label_id, claim_lease=False).pages  # reviewers see the page
    ws.close()
    monkeypatch.setenv("CURATOR_WORKSPACE", str(tmp_path / "ws"))
    for name, has_image in (("vic", False), ("rita", True)):
        at = review_page(name, PASSWORD, label_id)
        inline = [h for h in at.get("html") if "data:image/png;base64," in h.value]  # the page viewer
        assert bool(inline) is has_image
        assert not at.get("imgs")  # never a media URL that answers without the session
        assert SSN not in " ".join(str(getattr(e, "value", "")) for e in at.text_input) or name == "rita"


def test_ssns_never_reach_the_audit_trail(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    label_id = w2_label(ws)
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    view = open_label(ws, "rita", label_id)
    save_label(ws, "rita", label_id, base_version=view.version, changes={"employee.ssn": "912-34-9999"})
    with ws.session() as session:
        events = session.exec(select(LabelEvent).where(LabelEvent.field == "employee.ssn")).all()
    assert events and all(SSN not in (e.old or "") + (e.new or "") and "912-34-9999" not in (e.new or "")
                          for e in events)
    assert events[0].new == '"***-**-9999"'
    assert is_sensitive("employee.ssn", builtin_schema("w2"))
    assert not is_sensitive("employer.ein", builtin_schema("w2"))
    assert redact_text(f"row 7: {SSN} and DE89 3704 0044 0532 0130 00") == \
        "row 7: ***-**-5678 and DE******3000"
    ws.close()


def test_control_characters_never_reach_the_terminal(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    from curator.quarantine import quarantine

    with ws.session() as session:
        quarantine(session, stage="ingest", source_uri="file:///x", file_name="evil\x1b[2J\x1b]8;;http://x\x07.pdf",
                   reason="corrupt", detail="[link=http://evil.example]click[/link] \x1b[31mred")
        session.commit()
    ws.close()
    out = CliRunner().invoke(app, ["-w", str(tmp_path / "ws"), "docs", "quarantine"]).output
    assert "\x1b" not in out and "\x07" not in out and "\\x1b" in out


def test_names_uris_templates_passwords_and_file_modes(tmp_path):
    ws = exportable_workspace(tmp_path / "ws", n=12)
    with pytest.raises(ValueError, match="is not allowed"):
        evaluate(ws, "predictions:/dev/null", actor="admin", schema_name="invoice", name="../../../x")
    with pytest.raises(ValueError, match="not a valid S3 bucket name"):
        export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", s3_prefix="s3://Bad_Bucket/x")
    with pytest.raises(ValueError, match="'.' and '..'"):
        export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", s3_prefix="s3://datasets/../x")
    with pytest.raises(ValueError, match="only use the placeholder"):
        export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", template="{keys.__class__.__mro__}")
    assert not (tmp_path / "x").exists() and not (ws.root / "exports").exists()
    runner = CliRunner()
    assert runner.invoke(app, ["-w", str(ws.root), "users", "add", "eve", "--password", PASSWORD]).exit_code == 2
    assert runner.invoke(app, ["-w", str(ws.root), "users", "add", "eve", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    for name in ("curator.toml", "curator.db"):
        assert stat.S_IMODE(os.stat(ws.root / name).st_mode) == 0o600, name
    ws.close()
