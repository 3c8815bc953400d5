"""Odd files cannot stop, hang or litter an ingest (issue #13, item 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

import badfiles
from connectors.documents import FolderSource
from curator.ingest.documents import ingest_documents
from curator.store.models import Document, QuarantineEntry
from curator.workspace import init_workspace


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    workspace.config.ingest.workers = 1
    yield workspace
    workspace.close()


def test_names_links_fifos_and_sockets_beside_good_pdfs(ws, tmp_path):
    import socket

    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        badfiles.good_pdf(src / f"good-{i}.pdf", f"Invoice INV-{i}")
    badfiles.good_pdf(Path(os.fsdecode(bytes(src) + b"/bad\xff\xfename.pdf")), "Invoice INV-bytes")
    os.mkdir(bytes(src) + b"/folder\xe9")
    badfiles.good_pdf(Path(os.fsdecode(bytes(src) + b"/folder\xe9/inside.pdf")), "Invoice INV-inside")
    os.symlink("loop_b.pdf", src / "loop_a.pdf")
    os.symlink("loop_a.pdf", src / "loop_b.pdf")
    os.mkfifo(src / "fifo.pdf")
    os.symlink(tmp_path, src / "up")  # a link to a folder (here: a loop up to the source's parent)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(src / "socket.pdf"))
    started = time.monotonic()
    report = ingest_documents(ws, FolderSource(src), actor="admin")
    server.close()
    assert time.monotonic() - started < 30  # the FIFO is never opened: nothing hangs
    assert report.documents_added == 5
    by_file = {p.file: p.reason for p in report.problems}
    assert by_file == {"fifo.pdf": "not_a_file", "socket.pdf": "not_a_file", "loop_a.pdf": "not_a_file",
                       "loop_b.pdf": "not_a_file", "up": "not_a_file"}
    with ws.session() as session:
        names = sorted(d.file_name for d in session.exec(select(Document)))
        uris = [d.source_uri for d in session.exec(select(Document))]
        kept = list(session.exec(select(QuarantineEntry)))
    assert "bad\\xff\\xfename.pdf" in names and "inside.pdf" in names  # shown escaped
    assert any(uri.endswith("/bad%FF%FEname.pdf") for uri in uris)  # the bytes, exactly
    assert len(kept) == 5 and all(entry.blob_key is None for entry in kept)  # nothing of theirs was read
    again = ingest_documents(ws, FolderSource(src), actor="admin")  # resumable: nothing redone
    assert again.unchanged == 5 and again.documents_added == 0


def test_a_500_frame_tiff_is_refused_before_rendering_and_leaves_no_blobs(ws, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    frames = [Image.new("L", (40, 40), i % 255) for i in range(500)]
    frames[0].save(src / "stack.tif", save_all=True, append_images=frames[1:])
    report = ingest_documents(ws, FolderSource(src), actor="admin")
    assert [(p.reason, p.detail) for p in report.problems] == [("too_many_pages",
                                                               "500 frames, more than the limit of 200")]
    assert not list((ws.blobs.root / "pages").rglob("*.png")) if (ws.blobs.root / "pages").exists() else True


def test_a_file_refused_mid_render_leaves_no_page_blobs(ws, tmp_path):
    from curator.ingest.render import RenderSettings
    from curator.ingest.worker import RenderJob, render_job

    path = tmp_path / "pages.tif"
    frames = [Image.new("L", (40, 40), 10 * i) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.8)])  # the last frame is cut short
    job = RenderJob(sha256="0" * 64, path=str(path), mime="image/tiff", blob_root=str(ws.blobs.root),
                    settings=RenderSettings(), ocr_min_chars=20, png_compress_level=1, grey_when_colourless=True)
    result = render_job(job)
    assert not result.ok
    assert not [p for p in ws.blobs.root.rglob("*") if p.is_file()]


def test_ingest_workers_end_with_their_parent_and_the_spool_is_cleaned(ws, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(30):
        badfiles.good_pdf(src / f"doc-{i:02d}.pdf", f"document {i}", pages=3)
    ws.config.ingest.max_pixels = 30_000_000
    ws.config.ingest.png_compress_level = 9
    from curator.config import save_config

    save_config(ws.root, ws.config)
    process = subprocess.Popen([sys.executable, "-m", "curator.cli", "-w", str(ws.root), "ingest", "docs", str(src),
                                "--dpi", "300", "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and not workers:
        time.sleep(0.2)
        workers = _descendants(process.pid)
    assert workers, "the ingest started no worker processes"
    process.send_signal(signal.SIGKILL)  # the parent only, as an OOM killer or a crash would
    process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "workers outlived their ingest"
    ingest_documents(ws, FolderSource(src), actor="admin")
    assert [p.name for p in (ws.root / ".spool").iterdir()] == []


def _descendants(pid: int) -> list[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    found = [int(c) for c in children]
    for child in list(found):
        found += _descendants(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
