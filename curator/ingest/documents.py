"""The ingest stage: source files in, documents with rendered pages out.

Identity is the sha256 of a file's bytes. Work is committed one document at a time, so
a crash loses at most the files in flight, and a re-run skips what is already stored
(unchanged source files are not even read again).

>>> report = ingest_documents(workspace, open_document_source("corpus/documents"))
>>> report.documents_added, report.quarantined
"""

from __future__ import annotations

import hashlib
import os
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from connectors.documents import DocumentSource, SourceFile
from curator.access import Actor, require
from curator.ingest.engines import RayExecutor, check_engine
from curator.ingest.problems import BadInput, Problem, Reason, printable
from curator.ingest.render import RenderSettings
from curator.ingest.sniff import detect_mime, unsafe_name_reason
from curator.ingest.worker import RenderJob, RenderResult, end_with_parent, render_job
from curator.progress import ProgressHook, SilentProgress
from curator.quarantine import quarantine, release
from curator.store.models import Document, DocumentStatus, Page, QuarantineEntry, SourceFile as SeenFile, SourceOutcome, utcnow
from curator.workspace import Workspace

STAGE = "ingest"
# Bad files up to this size are copied into the blob store so they survive the source.
KEEP_QUARANTINED_BYTES = 64 * 1024 * 1024


@dataclass
class IngestReport:
    source: str
    files_seen: int = 0
    documents_added: int = 0
    pages_rendered: int = 0
    duplicates: int = 0
    unchanged: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    render_seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    pages_read: dict[str, Any] = field(default_factory=dict)  # words, boxes and OCR (curator.ingest.ocr)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pages_per_second(self) -> float:
        return self.pages_rendered / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files_seen": self.files_seen,
            "documents_added": self.documents_added,
            "pages_rendered": self.pages_rendered,
            "duplicates": self.duplicates,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 3),
            "pages_per_second": round(self.pages_per_second, 2),
            "problems": [p.to_dict() for p in self.problems],
            "pages_read": self.pages_read,
        }


@dataclass
class _Pending:
    job: RenderJob
    files: list[SourceFile]
    spool: Path | None


def ingest_documents(
    workspace: Workspace,
    source: DocumentSource,
    *,
    actor: Actor | str,
    document_class: str | None = None,
    workers: int | None = None,
    renderer: str | None = None,
    dpi: int | None = None,
    progress: ProgressHook | None = None,
    render: Callable[[RenderJob], RenderResult] = render_job,
    read_pages: bool = True,
    engine: str = "local",
    ray_address: str | None = None,
) -> IngestReport:
    """Ingest every file of ``source``; ``render`` runs in the worker processes and must be
    a picklable module-level function (the default renders with the configured backend).
    Then, unless ``read_pages`` is False, every page not read yet gets its words and boxes
    (text layer, OCR for scans and image regions), in worker processes, with its own progress.
    ``engine="ray"`` runs rendering and OCR as Ray tasks (``curator.ingest.engines``) instead of
    on this machine's process pool; the results are the same. Authors and admins only."""
    require(workspace, actor, "ingest")
    check_engine(engine)
    run = _IngestRun(workspace, source, document_class, workers, renderer, dpi, progress or SilentProgress())
    run.render = render
    run.engine, run.ray_address = engine, ray_address
    report = run.execute()
    if read_pages:
        from curator.ingest.ocr import ocr_pending_pages

        report.pages_read = ocr_pending_pages(workspace, actor=actor, workers=workers, progress=progress,
                                              engine=engine, ray_address=ray_address).to_dict()
    return report


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _IngestRun:
    def __init__(self, workspace, source, document_class, workers, renderer, dpi, progress) -> None:
        cfg = workspace.config.ingest
        self.ws = workspace
        self.source = source
        self.document_class = document_class
        self.workers = workers or cfg.workers
        self.settings = RenderSettings(
            renderer=renderer or cfg.renderer,
            dpi=dpi or cfg.dpi,
            max_pixels=cfg.max_pixels,
            max_source_pixels=cfg.max_source_pixels,
            max_pages=cfg.max_pages,
        )
        self.cfg = cfg
        self.progress = progress
        self.report = IngestReport(source=source.uri)
        self.pending: dict[str, _Pending] = {}
        self.futures: dict[Future, str] = {}
        self.spool_dir = Path(tempfile.mkdtemp(prefix=f"spool-{os.getpid()}-", dir=self._spool_root()))
        # One session for the whole run, committed per document: opening a session and
        # re-selecting per file cost more main-process CPU than the workers can spare.
        self.session = Session(workspace.engine, expire_on_commit=False)
        self.seen: dict[str, SeenFile | None] = {}

    def _spool_root(self) -> Path:
        root = self.ws.root / ".spool"
        root.mkdir(exist_ok=True)
        for leftover in root.glob("spool-*"):  # left by an ingest that was killed: its process is gone
            owner = leftover.name.split("-")[1]
            if owner.isdigit() and not _alive(int(owner)):
                shutil.rmtree(leftover, ignore_errors=True)
        return root

    # -- the run ---------------------------------------------------------------------

    def execute(self) -> IngestReport:
        started = time.perf_counter()
        files = list(self.source.documents())  # metadata only: names, sizes, stamps
        self.progress.start(len(files), "ingest " + "/".join(self.source.uri.rstrip("/").split("/")[-2:]))
        self.pool = self._new_pool(self.workers)
        try:
            for file in files:
                self.report.files_seen += 1
                self._admit(file)
                while len(self.futures) >= 4 * self.workers:
                    self._collect(return_when=FIRST_COMPLETED)
            while self.futures:
                self._collect(return_when=FIRST_COMPLETED)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.session.close()
            shutil.rmtree(self.spool_dir, ignore_errors=True)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _admit(self, file: SourceFile) -> None:
        """Decide what to do with one source file; submit it for rendering if it is new."""
        if self._known_and_unchanged(file):
            return
        reason = file.problem or unsafe_name_reason(file.relative_path)
        if reason:
            self._quarantine(file, file.problem_reason if file.problem else Reason.UNSAFE_NAME, reason,
                             keep_bytes=file.problem is None)
            return
        if file.size == 0:
            self._quarantine(file, Reason.EMPTY, "the file is empty (0 bytes)")
            return
        if file.size > self.cfg.max_file_bytes:
            self._quarantine(
                file, Reason.TOO_LARGE, f"{file.size:,} bytes, over the limit of {self.cfg.max_file_bytes:,}",
                keep_bytes=False,
            )
            return
        try:
            path, spool, sha256, head = self._fetch(file)
        except OSError as exc:
            self._quarantine(file, Reason.UNREADABLE, f"cannot read the file: {exc}", keep_bytes=False)
            return
        if sha256 in self.pending:
            self.pending[sha256].files.append(file)
            self._discard(spool)
            return
        if self._already_stored(sha256, file):
            self._discard(spool)
            return
        try:
            mime = detect_mime(head)
        except BadInput as exc:
            self._quarantine(file, exc.reason, exc.detail, sha256=sha256, local=path)
            self._discard(spool)
            return
        job = RenderJob(
            sha256=sha256,
            path=str(path),
            mime=mime,
            blob_root=self.ws.blobs.url,  # a folder, or s3://bucket/prefix
            settings=self.settings,
            ocr_min_chars=self.cfg.ocr_min_chars,
            png_compress_level=self.cfg.png_compress_level,
            grey_when_colourless=self.cfg.grey_when_colourless,
        )
        self.pending[sha256] = _Pending(job=job, files=[file], spool=spool)
        self._submit(sha256)

    def _submit(self, sha256: str) -> None:
        try:
            future = self.pool.submit(self.render, self.pending[sha256].job)
        except BrokenProcessPool:  # the pool died since the last collect
            self._recover([sha256])
            return
        self.futures[future] = sha256

    def _collect(self, return_when: str) -> None:
        done, _ = wait(list(self.futures), return_when=return_when)
        broken: list[str] = []
        for future in done:
            sha256 = self.futures.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(sha256)
                continue
            except Exception:  # noqa: BLE001 - on Ray: a worker that died (WorkerCrashedError and kin)
                if self.engine != "ray":
                    raise
                broken.append(sha256)
                continue
            self._finish(self.pending.pop(sha256), result)
        if broken:
            self._recover(broken)

    def _recover(self, broken: list[str]) -> None:
        """A worker died (a crash inside the renderer): restart the pool and retry.

        Every job in flight fails with the pool, so each is retried alone; one that kills
        its worker a second time is the culprit and goes to the quarantine.
        """
        broken += list(self.futures.values())
        self.futures.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool(self.workers)
        for sha256 in dict.fromkeys(broken):
            pending = self.pending.pop(sha256)
            result = self._retry_alone(pending)
            if result is None:
                for file in pending.files:
                    self._quarantine(
                        file, Reason.RENDERER_CRASH, "the renderer crashed on this file (its worker process died)",
                        sha256=sha256, local=Path(pending.job.path),
                    )
                self._discard(pending.spool)
            else:
                self._finish(pending, result)

    def _retry_alone(self, pending: _Pending) -> RenderResult | None:
        with self._new_pool(1) as solo:
            try:
                return solo.submit(self.render, pending.job).result()
            except BrokenProcessPool:
                return None
            except Exception:  # noqa: BLE001 - on Ray: the worker died again
                if self.engine != "ray":
                    raise
                return None

    engine = "local"
    ray_address: str | None = None

    def _new_pool(self, workers: int) -> Executor:
        if self.engine == "ray":
            return RayExecutor(workers, self.ray_address)
        method = self.cfg.worker_start
        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["curator.ingest.worker"])
        return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=end_with_parent,
                                   initargs=(os.getpid(),))

    def _finish(self, pending: _Pending, result: RenderResult) -> None:
        self.report.render_seconds += result.seconds
        if not result.ok:
            for file in pending.files:
                self._quarantine(file, result.reason, result.detail or "", sha256=result.sha256,
                                 local=Path(pending.job.path))
            self._discard(pending.spool)
            return
        first = pending.files[0]
        needs_ocr = any(page.needs_ocr for page in result.pages)
        document = Document(
            sha256=result.sha256,
            file_name=first.name,
            source_uri=first.uri,
            mime=pending.job.mime,
            size_bytes=first.size,
            page_count=len(result.pages),
            document_class=self.document_class,
            status=DocumentStatus.NEEDS_OCR if needs_ocr else DocumentStatus.INGESTED,
            text_chars=sum(len(page.text) for page in result.pages),
            original_blob=result.original_blob or "",
            renderer=self.settings.renderer,
            dpi=self.settings.dpi,
        )
        pages = [
            Page(
                document_sha256=result.sha256,
                index=page.index,
                blob_key=page.blob_key,
                width=page.width,
                height=page.height,
                dpi=page.dpi,
                phash=page.phash,
                needs_ocr=page.needs_ocr,
                text=page.text,
            )
            for page in result.pages
        ]
        session = self.session
        session.add(document)
        session.add_all(pages)
        for file in pending.files:
            self._remember(file, result.sha256, SourceOutcome.DOCUMENT)
        try:
            session.commit()
        except IntegrityError:
            # Another ingest stored the same content a moment ago: it is a duplicate now.
            session.rollback()
            for file in pending.files:
                self.seen[file.uri] = session.get(SeenFile, file.uri)
                self._remember(file, result.sha256, SourceOutcome.DOCUMENT)
            session.commit()
            self.report.duplicates += len(pending.files)
            self.progress.advance(len(pending.files))
            self._discard(pending.spool)
            return
        self.report.documents_added += 1
        self.report.duplicates += len(pending.files) - 1
        self.report.pages_rendered += len(pages)
        self.progress.advance(len(pending.files))
        self._discard(pending.spool)

    # -- helpers ---------------------------------------------------------------------

    def _known_and_unchanged(self, file: SourceFile) -> bool:
        session = self.session
        seen = self.seen[file.uri] = session.get(SeenFile, file.uri)
        if seen is None or seen.size_bytes != file.size or seen.modified != file.modified:
            return False
        if seen.outcome == SourceOutcome.DOCUMENT and session.get(Document, seen.sha256) is not None:
            self.report.unchanged += 1
            self.progress.advance()
            return True
        if seen.outcome == SourceOutcome.QUARANTINED:
            entry = session.exec(
                select(QuarantineEntry).where(QuarantineEntry.stage == STAGE, QuarantineEntry.source_uri == file.uri)
            ).first()
            if entry is not None:
                # Still bad and unchanged: report it again, do not redo the work.
                self._count_problem(file, entry.reason, entry.detail)
                return True
        return False

    def _already_stored(self, sha256: str, file: SourceFile) -> bool:
        session = self.session
        document = session.get(Document, sha256)
        if document is None:
            return False
        if self.document_class and not document.document_class:
            document.document_class = self.document_class
            session.add(document)
        self._remember(file, sha256, SourceOutcome.DOCUMENT)
        session.commit()
        self.report.duplicates += 1
        self.progress.advance()
        return True

    def _fetch(self, file: SourceFile) -> tuple[Path, Path | None, str, bytes]:
        """Hash the file (spooling it to local disk first when it is remote)."""
        digest = hashlib.sha256()
        head = b""
        spool = None
        if file.local_path is not None:
            path = file.local_path
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    head = head or chunk[:4096]
                    digest.update(chunk)
        else:
            handle_out = tempfile.NamedTemporaryFile(dir=self.spool_dir, delete=False)
            path = spool = Path(handle_out.name)
            with handle_out, file.open() as handle:
                while chunk := handle.read(1 << 20):
                    head = head or chunk[:4096]
                    digest.update(chunk)
                    handle_out.write(chunk)
        return path, spool, digest.hexdigest(), head

    def _discard(self, spool: Path | None) -> None:
        if spool is not None:
            spool.unlink(missing_ok=True)

    def _remember(self, file: SourceFile, sha256: str | None, outcome: str) -> None:
        """Record what this source file turned out to be (the resume key for re-runs)."""
        seen = self.seen.get(file.uri)
        if seen is None:
            seen = SeenFile(uri=file.uri, size_bytes=file.size, modified=file.modified, sha256=sha256, outcome=outcome)
            self.seen[file.uri] = seen
        else:
            if seen.outcome == SourceOutcome.QUARANTINED and outcome == SourceOutcome.DOCUMENT:
                release(self.session, stage=STAGE, source_uri=file.uri)
            seen.size_bytes, seen.modified, seen.sha256, seen.outcome = file.size, file.modified, sha256, outcome
            seen.seen_at = utcnow()
        self.session.add(seen)

    def _quarantine(
        self,
        file: SourceFile,
        reason: str,
        detail: str,
        *,
        sha256: str | None = None,
        local: Path | None = None,
        keep_bytes: bool = True,
    ) -> None:
        blob_key = None
        if keep_bytes and file.size <= KEEP_QUARANTINED_BYTES:
            try:
                if local is not None:
                    data = local.read_bytes()
                else:
                    with file.open() as handle:
                        data = handle.read(KEEP_QUARANTINED_BYTES + 1)
                blob_key = self.ws.blobs.put(data, kind="quarantine")
            except OSError:
                blob_key = None
        quarantine(
            self.session,
            stage=STAGE,
            source_uri=file.uri,
            file_name=printable(file.name),
            reason=reason,
            detail=detail,
            sha256=sha256,
            blob_key=blob_key,
        )
        self._remember(file, sha256, SourceOutcome.QUARANTINED)
        self.session.commit()
        self._count_problem(file, reason, detail)

    def _count_problem(self, file: SourceFile, reason: str, detail: str) -> None:
        self.report.quarantined += 1
        self.report.problems.append(
            Problem(file=printable(file.relative_path), uri=printable(file.uri), reason=reason, detail=detail)
        )
        self.progress.advance()
