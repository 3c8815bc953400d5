"""``curator docs list | show | quarantine``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from curator.cli.context import acting_user, workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.text import for_terminal, printable

docs_app = typer.Typer(help="Look at ingested documents and the quarantine.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(docs_app, name="docs")


@docs_app.command("list")
def docs_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help="ingested or needs_ocr")] = None,
    document_class: Annotated[Optional[str], typer.Option("--class")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1)] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List documents."""
    from curator.catalog import document_summary, list_documents
    from curator.ingest.sniff import SUPPORTED
    with workspace_from(ctx) as workspace:
        documents = list_documents(workspace, status=status, document_class=document_class, limit=limit)
    if json_output:
        print_json([document_summary(d) for d in documents])
        return
    print_table(
        f"{len(documents)} documents",
        ["sha256", "file", "class", "pages", "status", "type"],
        [(d.sha256[:12], d.file_name, d.document_class, d.page_count, d.status, SUPPORTED.get(d.mime, d.mime))
         for d in documents],
    )


@docs_app.command("show")
def docs_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="sha256 (or a prefix of 6+ characters) or file name.")],
    text: Annotated[bool, typer.Option("--text", help="Include the extracted text of each page.")] = False,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one document with its pages; with --json also its labels: every field's state, value,
    provenance and where the page shows it (evidence: page and box)."""
    from curator.access import PermissionDenied
    from curator.catalog import NotFound, find_document
    from curator.review.documents import document_labels
    with workspace_from(ctx) as workspace:
        try:
            detail = find_document(workspace, ref)
            labels = document_labels(workspace, acting_user(ctx), detail.document.sha256) if json_output else []
        except (NotFound, PermissionDenied) as exc:
            raise fail(str(exc)) from None
        blob_url = workspace.blobs.url
    data = detail.to_dict(with_text=text)
    if json_output:
        print_json({**data, "labels": labels})
        return
    for key in ("file_name", "sha256", "document_class", "status", "mime", "size_bytes", "page_count", "source_uri"):
        console.print(f"[bold]{key}[/]: {for_terminal(data[key])}", highlight=False)
    print_table(
        "pages", ["#", "size", "dpi", "phash", "OCR needed", "text chars"],
        [(p["index"] + 1, f"{p['width']}x{p['height']}", p["dpi"], p["phash"], p["needs_ocr"], p["text_chars"])
         for p in data["pages"]],
    )
    for page in data["pages"]:
        console.print(f"page {page['index'] + 1} image: {blob_url.rstrip('/')}/{page['blob_key']}", highlight=False)
    if text:
        for page in data["pages"]:
            read_by_ocr = not page["text"].strip() and page.get("ocr_text")
            console.rule(f"page {page['index'] + 1}" + (" (read by OCR)" if read_by_ocr else ""))
            shown = page["ocr_text"] if read_by_ocr else page["text"]
            console.print("\n".join(printable(line) for line in shown.split("\n")), markup=False, highlight=False)


@docs_app.command("quarantine")
def docs_quarantine(
    ctx: typer.Context,
    stage: Annotated[Optional[str], typer.Option("--stage", help="Only entries of this stage, e.g. ingest.")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List input that could not be used, with the reason. Nothing in it was dropped."""
    from curator.catalog import quarantine_summary, quarantined
    from curator.sensitive import redact_text
    with workspace_from(ctx) as workspace:
        entries = [quarantine_summary(e) for e in quarantined(workspace, stage)]
    if json_output:
        print_json(entries)
        return
    print_table(
        f"{len(entries)} in quarantine",
        ["stage", "file", "reason", "detail", "seen"],
        [(e["stage"], e["file_name"], e["reason"], redact_text(e["detail"]), e["occurrences"]) for e in entries],
    )
