"""``curator ingest docs SOURCE``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from curator.cli.context import acting_user, workspace_from
from curator.cli.output import console, errors, fail, print_json, print_table

ingest_app = typer.Typer(help="Bring documents (and, later, ERP records) into the workspace.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")


@ingest_app.command("docs")
def ingest_docs(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A folder, or s3://bucket/prefix.")],
    document_class: Annotated[Optional[str], typer.Option("--class", help="Document class to record, e.g. invoice or w2.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Worker processes (default from curator.toml).")] = None,
    renderer: Annotated[Optional[str], typer.Option("--renderer", help="pypdfium2 (default) or pdf2image.")] = None,
    dpi: Annotated[Optional[int], typer.Option("--dpi", min=36, max=600)] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (this machine's worker processes) or ray.")] = "local",
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="A Ray cluster (default $RAY_ADDRESS; "
                                                       "none: a Ray runtime on this machine).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest documents: hash, check, render pages to PNG, extract the text layer, read the
    pages (OCR of scans and image regions).

    Re-running is cheap: unchanged files are skipped, known content is not rendered again.
    Bad files go to the quarantine (`curator docs quarantine`); the exit code is 1 when any did.
    """
    from connectors.documents import open_document_source
    from curator.ingest.documents import ingest_documents
    from curator.progress import rich_progress
    if renderer not in (None, "pypdfium2", "pdf2image"):
        raise fail("--renderer must be pypdfium2 or pdf2image")
    with workspace_from(ctx) as workspace:
        try:
            document_source = open_document_source(source)
            with rich_progress(not json_output) as progress:
                report = ingest_documents(
                    workspace, document_source, actor=acting_user(ctx), document_class=document_class, workers=workers,
                    renderer=renderer, dpi=dpi, progress=progress, engine=engine, ray_address=ray_address,
                )
        except (FileNotFoundError, ValueError) as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(
            f"{report.files_seen} files: {report.documents_added} new documents ({report.pages_rendered} pages, "
            f"{report.pages_per_second:.1f} pages/s), {report.unchanged} unchanged, {report.duplicates} duplicates, "
            f"{report.quarantined} quarantined, in {report.seconds:.1f}s"
        )
        read = report.pages_read
        if read:
            console.print(f"pages read: {read['pages_with_words']} (words and boxes), {read['pages']} by OCR "
                          f"({read['engine']}) in {read['seconds']:.1f}s"
                          + (f"; OCR skipped: {read['skipped_reason']}" if read["skipped_reason"] else ""),
                          markup=False)
        if report.problems:
            print_table(
                "Quarantined", ["file", "reason", "detail"],
                [(p.file, p.reason, p.detail) for p in report.problems],
            )
    if report.problems:
        if not json_output:
            errors.print(f"{len(report.problems)} file(s) quarantined; the rest of the batch was ingested.")
        raise typer.Exit(1)
