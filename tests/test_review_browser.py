"""End to end in a real browser: Debian's chromium, driven by Playwright (executable_path, no
downloaded browsers), against `curator review` started as a user would start it."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from local_servers import log_in, review_ui

from curator.review.users import add_user
from curator.samples.review_load import populate_for_review
from curator.store.models import Label
from curator.workspace import init_workspace, open_workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"
if not Path(CHROMIUM).exists() and os.environ.get("CURATOR_REQUIRE_BROWSER") == "1":
    raise RuntimeError("Debian's chromium is required (make test installs it with apt-get)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                                                    "(make test installs it)")


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "ws"
    ws = init_workspace(root)
    populate_for_review(ws, 20, seed=4)
    add_user(ws, "rita", "reviewer", PASSWORD, by="admin")
    ws.close()
    with review_ui(root) as url:
        yield url, root


@contextmanager
def _chromium(width: int, height: int) -> Iterator:
    """A page in Debian's chromium (never a downloaded browser), closed however the test ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


@contextmanager
def _reviewing(url: str) -> Iterator:
    """Logged in as rita with the first document open; yields the page and its field boxes' labels."""
    from playwright.sync_api import expect

    with _chromium(1500, 1100) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)  # the keyboard script is installed once the page is drawn
        boxes = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input')
        yield page, boxes, [boxes.nth(i).get_attribute("aria-label") for i in range(boxes.count())]


def _label(root: Path, label_id: int) -> Label:
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            return session.get(Label, label_id)
    finally:
        ws.close()


def _labels(root: Path, status: str) -> list[Label]:
    from sqlmodel import select

    ws = open_workspace(root)
    try:
        with ws.session() as session:
            return list(session.exec(select(Label).where(Label.status == status)))
    finally:
        ws.close()


def test_log_in_correct_approve_in_chromium(served, tmp_path):
    from playwright.sync_api import expect

    url, root = served
    with _chromium(1500, 1100) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        # Correct a field (committed when the box loses focus), take the ERP value of the
        # conflict, approve.
        po = page.get_by_label(re.compile(r"^po_number —"))
        po.fill("4500077777")
        po.press("Tab")
        page.get_by_role("button", name=re.compile(r"^Take ERP")).click()
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Approve & next").click()
        expect(page.get_by_text("Approved.")).to_be_visible(timeout=30_000)
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        # The keyboard: Alt+S saves a draft on the next document.
        po = page.get_by_label(re.compile(r"^po_number —"))
        po.fill("4500088888")
        po.press("Tab")
        page.keyboard.press("Alt+S")
        expect(page.get_by_text("Draft saved.")).to_be_visible(timeout=30_000)
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    approved = _labels(root, "approved")
    assert len(approved) == 1
    fields = json.loads(approved[0].fields)
    assert fields["po_number"]["value"] == "4500077777" and fields["po_number"]["agent"] == "rita"
    assert not fields["total"].get("conflict")
    drafts = [json.loads(label.fields).get("po_number", {}).get("value") for label in _labels(root, "needs_review")]
    assert "4500088888" in drafts
    artifacts = os.environ.get("CURATOR_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / "review-ui.png")


def test_document_link_and_reload_keep_the_reviewer_logged_in(served):
    """/?doc=<sha> → log in → that document; F5 → still logged in; log out → F5 → log-in page."""
    from playwright.sync_api import expect

    from curator.store.models import Document

    url, root = served
    wanted = _labels(root, "needs_review")[7]
    ws = open_workspace(root)
    try:
        with ws.session() as session:
            file_name = session.get(Document, wanted.document_sha256).file_name
    finally:
        ws.close()
    with _chromium(1500, 1100) as page:
        page.goto(f"{url}/?doc={wanted.document_sha256[:12]}")
        page.get_by_label("User name").fill("rita")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name=file_name)).to_be_visible(timeout=30_000)
        # The cookie is written by a script of the page once the sidebar is drawn.
        from curator.review.sessions import SESSION_COOKIE
        page.wait_for_function(f"document.cookie.includes({SESSION_COOKIE!r} + '=')", timeout=30_000)
        page.reload()
        expect(page.get_by_role("heading", name=file_name)).to_be_visible(timeout=30_000)
        expect(page.get_by_label("User name")).to_have_count(0)
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["curator_session"]["sameSite"] == "Strict"
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_label("User name")).to_be_visible(timeout=30_000)
        page.reload()
        expect(page.get_by_label("User name")).to_be_visible(timeout=30_000)
    ws = open_workspace(root)
    try:
        from sqlmodel import select

        from curator.store.models import ReviewSession
        with ws.session() as session:
            sessions = list(session.exec(select(ReviewSession)))
    finally:
        ws.close()
    assert len(sessions) == 1 and sessions[0].user_name == "rita" and sessions[0].ended_at is not None
    assert all(len(s.token_sha256) == 64 for s in sessions)  # the token itself is not stored


def test_text_typed_then_alt_n_at_once_is_saved(served):
    """What you see is what is saved: no Tab, no Enter, the shortcut right after typing."""
    from playwright.sync_api import expect

    url, root = served
    with _chromium(1500, 1100) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        po = page.get_by_label(re.compile(r"^po_number —"))
        po.click()
        po.press("End")
        page.keyboard.type("QQ")
        page.keyboard.press("Alt+N")
        expect(page.get_by_text("Draft saved.")).to_be_visible(timeout=30_000)
    drafts = [json.loads(label.fields).get("po_number", {}).get("value") for label in _labels(root, "needs_review")]
    assert any(str(value).endswith("QQ") for value in drafts), drafts


def test_the_next_document_opens_at_the_top_with_a_field_focused_and_skip_moves_on(served):
    from playwright.sync_api import expect

    url, root = served
    with _chromium(1300, 700) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        first = page.get_by_role("heading", level=2).first.inner_text()
        page.get_by_role("button", name="Skip").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.get_by_role("button", name="Skip").click()  # at the bottom of the page
        expect(page.get_by_role("heading", level=2).first).not_to_have_text(first, timeout=30_000)
        page.wait_for_timeout(1000)
        expect(page.get_by_role("heading", level=2).first).to_be_in_viewport()
        assert page.evaluate("document.activeElement.tagName") == "INPUT"
    assert not _labels(root, "approved") and not _labels(root, "rejected")  # a skip saves nothing


def test_one_tab_stop_per_field_and_alt_x_marks_the_focused_field_absent(served):
    from playwright.sync_api import expect

    url, root = served
    with _reviewing(url) as (page, labels, names):
        k = next(i for i, name in enumerate(names) if "conflict" not in name)  # a conflict's Tab goes to its buttons
        first, second = names[k], names[k + 1]
        labels.nth(k).focus()
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.outerHTML")
        assert focused == second, (first, focused)
        page.keyboard.press("Alt+X")
        page.wait_for_timeout(1500)
        page.keyboard.press("Alt+S")
        expect(page.get_by_text("Draft saved.")).to_be_visible(timeout=30_000)
    path = second.split(" — ")[0]
    states = [json.loads(label.fields).get(path, {}).get("state") for label in _labels(root, "needs_review")]
    assert "absent" in states, (path, states)


def test_alt_g_goes_to_a_flagged_field_and_alt_1_takes_its_first_suggestion(served):
    from playwright.sync_api import expect

    url, root = served
    with _reviewing(url) as (page, boxes, names):
        calm = next(i for i, name in enumerate(names) if "⚠" not in name and "❓" not in name)
        boxes.nth(calm).focus()
        page.keyboard.press("Alt+G")  # round the end: back to the first flagged field
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == next(name for name in names if "conflict" in name)
        take = page.get_by_role("button", name=re.compile(r"^Take ")).first.inner_text()
        page.keyboard.press("Alt+1")
        expect(page.get_by_text("conflict resolved")).to_be_visible(timeout=30_000)
        page.keyboard.press("Alt+S")
        expect(page.get_by_text("Draft saved.")).to_be_visible(timeout=30_000)
    path = focused.split(" — ")[0]
    saved = [json.loads(label.fields)[path] for label in _labels(root, "needs_review") if label.version > 1]
    assert saved and not saved[0].get("conflict") and take.endswith(str(saved[0]["value"])), (take, saved)


def test_a_click_on_a_queue_row_opens_that_document(served):
    from playwright.sync_api import expect

    url, root = served
    with _chromium(1500, 1100) as page:
        page.goto(url)
        page.get_by_label("User name").fill("rita")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        grid = page.locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)
        box = grid.bounding_box()
        # The middle of the second row (header 35 px, then rows of 35 px): a click on a cell opens its row.
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + 35 + 35 + 17)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        title = page.locator("h2").first.inner_text()
    ws = open_workspace(root)
    try:
        from curator.review.queue import review_queue
        from curator.review.users import Actor
        second = review_queue(ws, Actor("rita", "reviewer"), limit=3)[1]
    finally:
        ws.close()
    assert title == second.file_name


def test_tables_take_the_full_width_and_alt_i_adds_a_row(served):
    from playwright.sync_api import expect

    url, root = served
    with _reviewing(url) as (page, boxes, names):
        grid = page.locator('[data-testid="stDataFrame"], [data-testid="stDataEditor"]').last
        expect(grid).to_be_visible(timeout=30_000)
        content = page.locator('[data-testid="stHeading"]').first.bounding_box()  # the content's full width
        assert grid.bounding_box()["width"] >= 0.95 * content["width"]  # the page's width, not the form's half
        rows = page.locator("text=/line_items — \\d+ rows/").first.inner_text()
        count = int(rows.split("— ")[1].split()[0])
        boxes.first.focus()
        page.keyboard.press("Alt+I")
        expect(page.get_by_text(f"line_items — {count + 1} rows")).to_be_visible(timeout=30_000)
        page.keyboard.press("Alt+Delete")
        expect(page.get_by_text(f"line_items — {count} rows")).to_be_visible(timeout=30_000)


def _with_evidence(root: Path) -> None:
    """Give the waiting documents' totals a place on the page, as mapping records it."""
    from sqlmodel import select

    ws = open_workspace(root)
    try:
        with ws.session() as session:
            for label in session.exec(select(Label).where(Label.status == "needs_review")):
                fields = json.loads(label.fields)
                for path, entry in fields.items():
                    entry["evidence"] = {"page": 1, "bbox": [0.6, 0.8, 0.8, 0.83]} if path == "total" else \
                        entry.get("evidence")
                    if entry["evidence"] is None:
                        entry.pop("evidence")
                label.fields = json.dumps(fields)
                session.add(label)
            session.commit()
    finally:
        ws.close()


@pytest.mark.parametrize("width", [1280, 1920])
def test_focusing_a_field_outlines_its_value_on_the_page_beside_the_form(served, width):
    from playwright.sync_api import expect

    url, root = served
    _with_evidence(root)
    with _chromium(width, 1000) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)
        mark = page.locator('.curator-box[data-field="total"]')
        expect(mark).to_have_count(1)
        total = page.locator('[data-testid="stMain"] input[aria-label^="total "]').first
        # The document opens with its conflict (total) focused: its place is outlined at once.
        expect(mark).to_have_class(re.compile("curator-active"))
        other = page.locator('[data-testid="stMain"] input[aria-label^="invoice_number "]').first
        other.focus()
        expect(mark).not_to_have_class(re.compile("curator-active"))
        total.focus()
        expect(mark).to_have_class(re.compile("curator-active"))
        # The page never covers the form: the viewer ends left of the fields' column.
        viewer = page.locator(".curator-viewer").first.bounding_box()
        assert viewer["x"] + viewer["width"] <= total.bounding_box()["x"] + 1
        page.locator("input[type=range], [role=slider]").first.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")  # zoom 150%: the page pans inside its box
        page.wait_for_timeout(1500)
        viewer = page.locator(".curator-viewer").first.bounding_box()
        assert viewer["x"] + viewer["width"] <= total.bounding_box()["x"] + 1
        # The wheel zooms the page inside its box.
        before = page.locator("img.curator-page").first.bounding_box()["width"]
        page.mouse.move(viewer["x"] + 50, viewer["y"] + 50)
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(300)
        assert page.locator("img.curator-page").first.bounding_box()["width"] > before


def test_a_stale_take_button_clicked_during_approve_and_next_never_writes_into_the_next_document(served):
    """The previous document's "Take ERP" stays on screen while "Approve & next" runs: clicked
    in that moment it must change nothing on the document that opens next."""
    from playwright.sync_api import Error, expect

    url, root = served
    before = {label.id: label for label in _labels(root, "needs_review")}
    with _chromium(1500, 1100) as page:
        log_in(page, url, "rita", PASSWORD)
        expect(page.get_by_role("button", name="Approve & next")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(800)
        first = page.get_by_role("heading", level=2).first.inner_text()
        stale = page.get_by_role("button", name=re.compile(r"^Take teacher")).first.element_handle()
        page.get_by_role("button", name="Approve & next").click()
        for _ in range(5):  # click the old button while the next document is being drawn
            try:
                stale.click(timeout=200, force=True, no_wait_after=True)
            except Error:
                break  # gone from the page: nothing left to click
        expect(page.get_by_role("heading", level=2).first).not_to_have_text(first, timeout=30_000)
        page.wait_for_timeout(500)
        page.keyboard.press("Alt+S")  # save the next document as it is on screen
        expect(page.get_by_text(re.compile("Draft saved|Not saved|belonged to the document"))).to_be_visible(
            timeout=30_000)
    approved = _labels(root, "approved")
    assert len(approved) == 1 and json.loads(approved[0].fields)["total"]["source"] != "teacher"
    for label in _labels(root, "needs_review"):
        if label.version > before[label.id].version:  # the next document: saved, but nothing taken into it
            fields, old = json.loads(label.fields), json.loads(before[label.id].fields)
            assert fields["total"]["value"] == old["total"]["value"], (fields["total"], old["total"])
