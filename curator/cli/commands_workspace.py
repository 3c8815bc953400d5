"""``curator init``, ``curator db``, ``curator samples`` and ``curator demo``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.choices import CORPORA

from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json

db_app = typer.Typer(help="The workspace store: schema version and migrations.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("samples")(samples)
    app.command("demo")(demo)
    app.add_typer(db_app, name="db")


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    db: Annotated[Optional[str], typer.Option("--db", help="Store URL: sqlite:///file.db (default) or postgresql+psycopg://user@host/db")] = None,
    blobs: Annotated[Optional[str], typer.Option("--blobs", help="Blob store: s3://bucket/prefix (a team's shared store; "
                                                 "AWS_ENDPOINT_URL is honoured) or a folder (default: blobs).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create a workspace: curator.toml, the store (migrated to the current schema) and the blob store."""
    from curator.config import ConfigError
    from curator.store.database import StoreError
    from curator.workspace import WorkspaceError, init_workspace
    try:
        workspace = init_workspace(directory, db_url=db, blobs_url=blobs)
    except (WorkspaceError, StoreError, ConfigError) as exc:
        raise fail(str(exc)) from None
    result = {"workspace": str(workspace.root), "store": workspace.store_url, "blobs": workspace.blobs.url}
    workspace.close()
    if json_output:
        print_json(result)
    else:
        console.print(f"Workspace ready at [bold]{result['workspace']}[/]\n  store: {result['store']}\n  blobs: {result['blobs']}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the store to the current schema (opening a workspace does this too)."""
    from curator.store.database import current_revision, head_revision
    with workspace_from(ctx) as workspace:
        console.print(f"store at revision {current_revision(workspace.engine)} (head {head_revision()})")


@db_app.command("current")
def db_current(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the store's schema revision."""
    from curator.store.database import current_revision, head_revision
    with workspace_from(ctx) as workspace:
        data = {"store": workspace.store_url, "revision": current_revision(workspace.engine), "head": head_revision()}
    if json_output:
        print_json(data)
    else:
        console.print(f"{data['store']}: revision {data['revision']} (head {data['head']})")


def samples(
    kind: Annotated[str, typer.Argument(help=f"Which corpus: {' | '.join(CORPORA)}.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write documents/, erp/ and truth/ into.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of documents.")] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed gives byte-identical files.")] = 0,
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help="Fraction of documents turned into scans.")] = 0.3,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Generate a synthetic corpus (W-2 forms or supplier invoices) with its ERP export and ground truth."""
    from curator.progress import rich_progress
    from curator.samples.corpus import generate_corpus
    if kind not in CORPORA:
        raise fail(f"unknown corpus {kind!r}; choose from {', '.join(CORPORA)}")
    with rich_progress(not json_output) as progress:
        report = generate_corpus(kind, n, seed, out, noise=noise, progress=progress)
    if json_output:
        print_json(report.to_dict())
        return
    console.print(
        f"Wrote {report.documents} {kind} documents ({report.pages} pages, {report.scanned} scanned) to {out}/documents\n"
        f"  export: {report.records} records in {out}/erp ({report.duplicate_rows} duplicate rows, "
        f"{report.records_without_document} without a document, {report.altered_values} altered values)\n"
        f"  truth:  {out}/truth/labels.jsonl, {out}/truth/matches.jsonl"
    )


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the corpus and the workspace go.")] = Path("demo-output"),
    n: Annotated[int, typer.Option("--n", min=1, help="Documents per corpus.")] = 40,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1)] = None,
    teacher: Annotated[Optional[str], typer.Option("--teacher", help="Fill gaps with bedrock:<model> or openai:<url>#<model> (costs money; $1 budget).")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the main job on the embedded default store: corpus, workspace, ingest; then summarise."""
    from curator.demo import run_demo
    from curator.progress import rich_progress
    with rich_progress(not json_output) as progress_bar:
        report = run_demo(directory, n=n, seed=seed, workers=workers, teacher=teacher,
                          progress_factory=lambda: progress_bar)
    if json_output:
        print_json(report.to_dict())
        return
    counts = report.counts
    console.print("\n[bold]Curator demo[/]")
    for kind, corpus in report.corpus.items():
        console.print(
            f"  corpus {kind}: {corpus['documents']} documents ({corpus['scanned']} scanned), "
            f"{corpus['records']} ERP records -> {report.directory}/corpus/{kind}"
        )
    for kind, ingest in report.ingest.items():
        console.print(
            f"  ingest {kind}: {ingest['documents_added']} new, {ingest['unchanged']} unchanged, "
            f"{ingest['duplicates']} duplicates, {ingest['quarantined']} quarantined, "
            f"{ingest['pages_rendered']} pages in {ingest['seconds']:.1f}s"
            + (f"; {ingest['pages_read']['pages']} pages read by OCR ({ingest['pages_read']['engine']}) in "
               f"{ingest['pages_read']['seconds']:.0f}s" if ingest.get("pages_read", {}).get("pages") else "")
        )
    for kind, result in report.bootstrap.items():
        match, mapped, accuracy = result["match"], result["map"], result["accuracy"]
        ocr = result["ocr"]
        console.print(
            f"  bootstrap {kind}: {match['auto']} documents linked to ERP records, {match['ambiguous_records']} "
            f"ambiguous, {match['unmatched_documents']} documents and {match['unmatched_records']} records unmatched; "
            f"{mapped['labels_created'] + mapped['labels_updated'] + mapped['labels_unchanged']} labels, "
            f"{mapped['gaps']} gaps for the teacher, {mapped['suspects']} suspect fields"
            + (f"; OCR skipped: {ocr['skipped_reason']}" if ocr["skipped_reason"] else "")
        )
        if not ocr["skipped_reason"] and ocr["pages_with_words"]:
            console.print(f"    pages read: words and boxes of {ocr['pages_with_words']} pages stored, {ocr['pages']} "
                          f"read by OCR ({ocr['engine']}, {ocr['ocr_seconds']:.0f} s of OCR on the workers)")
        console.print(
            f"    against the corpus truth: {accuracy['correct']} field values right, {accuracy['wrong']} wrong "
            f"({accuracy['flagged_wrong']} of those flagged suspect)"
        )
    for schema_name, chosen in report.fields.items():
        total = len(chosen["fields"]) + len(chosen["left_out"])
        console.print(f"  dataset fields {schema_name}: {len(chosen['fields'])} of {total} fields are decided on the "
                      f"labels and go into the datasets", highlight=False)
        if chosen["left_out"]:
            shown = "; ".join(f"{leaf} ({why})" for leaf, why in list(chosen["left_out"].items())[:6])
            more = len(chosen["left_out"]) - 6
            console.print(f"    left out, unknown (never written as null): {shown}"
                          + (f"; and {more} more" if more > 0 else ""), highlight=False)
            console.print(f"    {chosen['how_to_fill']}", highlight=False)
    triaged = report.triage
    console.print(f"  triage: {triaged['auto_accepted']} labels auto-accepted, {triaged['needs_review']} need review")
    split_counts = {cls: "/".join(str(c[s]) for s in ("train", "validation", "test"))
                    for cls, c in report.splits["counts"].items()}
    console.print(f"  splits (train/validation/test): {split_counts}")
    for name, export in report.exports.items():
        state = "valid" if export["valid"] else f"INVALID: {'; '.join(export['errors'])}"
        console.print(f"  export {name}: {export['counts']} -> {export['folder']} ({state}, "
                      f"{export['warnings']} warnings" + (f", {export['left_out']} documents left out: a field of the set "
                                                           "unknown" if export.get("left_out") else "") + ")")
    console.print(
        f"  workspace: {report.workspace} — {counts['documents']} documents, {counts['pages']} pages, "
        f"by class {counts['by_class']}, {counts['quarantined']} in quarantine"
    )
    if "skipped" in report.teacher:
        console.print(f"  teacher: skipped: {report.teacher['skipped']}")
    else:
        for schema_name, taught in report.teacher.items():
            console.print(f"  teacher {schema_name}: {taught['called']} documents asked, {taught['fields_filled']} "
                          f"gaps filled, ${taught['cost_usd']:.4f}" + (" (budget reached)" if taught["stopped_by_budget"] else ""))
    command = f"{_this_command()} -w {report.workspace}"
    console.print(f"\nReview UI: [bold]{command} review[/] then open http://localhost:8501 and log in as "
                  f"[bold]{report.review['user']}[/] / [bold]{report.review['password']}[/] (admin)")
    console.print(f"Next: [bold]{command} match list[/], [bold]{command} report bootstrap --mapping invoice-sap "
                  f"--truth {report.directory}/corpus/invoices/truth[/]")


def _this_command() -> str:
    """How the user invoked curator (e.g. .venv/bin/curator), so the hint can be pasted."""
    invoked = Path(sys.argv[0])
    if invoked.name != "curator":
        return "curator"
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)
