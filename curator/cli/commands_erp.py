"""``curator ingest erp``, ``match``, ``map``, ``bootstrap`` and ``report bootstrap``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.choices import BUILTIN_MAPPINGS

from curator.cli.commands_ingest import ingest_app
from curator.cli.context import workspace_from
from curator.cli.output import console, errors, fail, print_json, print_table
from curator.text import for_terminal
from curator.cli.context import acting_user

match_app = typer.Typer(help="Link ERP records to documents, and review the links.", invoke_without_command=True)
report_app = typer.Typer(help="Reports on the workspace.", no_args_is_help=True)

MappingOption = Annotated[str, typer.Option("--mapping", "-m", help=f"Mapping file or built-in: {', '.join(BUILTIN_MAPPINGS)}.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    app.add_typer(match_app, name="match")
    app.command("map")(map_command)
    app.command("bootstrap")(bootstrap_command)
    app.add_typer(report_app, name="report")


def _mapping(name: str, workspace):
    """The mapping, its schema resolved in the workspace (registered schemas and built-in examples)."""
    from curator.mapping.rules import MappingError, load_mapping
    try:
        return load_mapping(name, workspace)
    except MappingError as exc:
        raise fail(str(exc)) from None


@ingest_app.command("erp")
def ingest_erp(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="KIND:LOCATION, e.g. csv:erp/RBKP.csv, xlsx:..., parquet:..., sql:URL, odata:https://...")],
    name: Annotated[Optional[str], typer.Option("--name", help="Record source name (default: the file name, e.g. rbkp).")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Natural key columns, comma-separated (default: from --mapping).")] = None,
    mapping: Annotated[Optional[str], typer.Option("--mapping", "-m", help="Take the key from this mapping's [sources.NAME].")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML file with the source's options (query, auth, delimiter...).")] = None,
    query: Annotated[Optional[str], typer.Option("--query", help="SQL query for sql: sources.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Pull ERP records; re-pulling updates changed rows and adds new ones, never duplicates."""
    from curator.progress import rich_progress
    from curator.records.pull import ingest_records
    from curator.records.sources import open_for_pull

    with workspace_from(ctx) as workspace:
        try:
            record_source, key_columns = open_for_pull(
                source, config=config, name=name, query=query,
                mapping=_mapping(mapping, workspace) if mapping else None,
                key=[k.strip() for k in key.split(",")] if key else None)
        except (ValueError, ConnectionError) as exc:  # a bad option, or a service that says no
            raise fail(str(exc)) from None
        try:
            with rich_progress(not json_output) as progress:
                report = ingest_records(workspace, record_source, actor=acting_user(ctx), key=key_columns, progress=progress)
        except (ValueError, OSError, ConnectionError) as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(f"{report.source}: {report.rows_read} rows -> {report.added} added, {report.updated} updated, "
                      f"{report.unchanged} unchanged, {report.duplicates} duplicate rows, {report.quarantined} quarantined")
        for warning in report.warnings:
            errors.print(f"[yellow]warning[/]: {for_terminal(warning)}", highlight=False)
        if report.problems:
            print_table("Quarantined rows", ["file", "row", "reason", "detail"],
                        [(p.location, p.row, p.reason, p.detail) for p in report.problems])
    if report.problems:
        raise typer.Exit(1)


@match_app.callback()
def match_command(ctx: typer.Context, mapping: MappingOption = "invoice-sap", json_output: JsonOption = False) -> None:
    """Match records to documents (when no subcommand is given). Pages not read yet are read
    first (text layer, OCR for scans): a scan matched by its file name alone is a guess."""
    from curator.ingest.ocr import ocr_pending_pages
    from curator.matching.stage import match_records
    from curator.progress import rich_progress
    if ctx.invoked_subcommand is not None:
        return
    with workspace_from(ctx) as workspace:
        spec = _mapping(mapping, workspace)
        with rich_progress(not json_output) as progress:
            read = ocr_pending_pages(workspace, actor=acting_user(ctx), progress=progress)
        with rich_progress(not json_output) as progress:
            report = match_records(workspace, spec, actor=acting_user(ctx), progress=progress)
    if json_output:
        print_json({**report.to_dict(), "pages_read": read.to_dict()})
        return
    if read.pages_with_words or read.skipped_reason:
        console.print(f"pages read first: {read.pages_with_words}, {read.pages} of them by OCR ({read.engine})"
                      + (f"; OCR skipped: {read.skipped_reason}" if read.skipped_reason else ""), markup=False)
    console.print(f"{report.records} records, {report.documents} documents: {report.auto} linked, "
                  f"{report.ambiguous_records} ambiguous, {report.unmatched_records} records and "
                  f"{report.unmatched_documents} documents unmatched ({report.pairs_scored} pairs scored)")


@match_app.command("list")
def match_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help="auto, confirmed, rejected or ambiguous")] = None,
    unmatched_for: Annotated[Optional[str], typer.Option("--unmatched", help="List what a mapping left unmatched instead.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List matches: file, record key, score, status (and the evidence with --json)."""
    from curator.matching.decisions import list_matches, unmatched
    with workspace_from(ctx) as workspace:
        if unmatched_for:
            spec = _mapping(unmatched_for, workspace)
            data = unmatched(workspace, spec.record_source, spec.document_class)
            if json_output:
                print_json(data)
            else:
                console.print(f"records without a document ({len(data['records'])}): {', '.join(data['records'])}")
                console.print(f"documents without a record ({len(data['documents'])}): {', '.join(data['documents'])}")
            return
        matches = list_matches(workspace, status=status)
    if json_output:
        print_json(matches)
        return
    print_table(f"{len(matches)} matches", ["id", "file", "record", "score", "status"],
                [(m["id"], m["file"], m["record_key"], f"{m['score']:.2f}", m["status"]) for m in matches])


def _decide(ctx, decide, match_id, record, document, source, by, json_output):
    from curator.matching.decisions import MatchDecisionError
    with workspace_from(ctx) as workspace:
        try:
            result = decide(workspace, match_id=match_id, record=record, document=document, source=source,
                            by=by or acting_user(ctx))
        except MatchDecisionError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(result)
    else:
        console.print(f"match {result['id']}: {result['record_key']} <-> {result['document'][:12]} {result['status']}")


DecisionId = Annotated[Optional[int], typer.Argument(help="Match id from `curator match list`.")]
RecordOption = Annotated[Optional[str], typer.Option("--record", help="Record key, e.g. 1000/2019/5105600123.")]
DocumentOption = Annotated[Optional[str], typer.Option("--document", help="Document file name or sha256.")]
SourceOption = Annotated[Optional[str], typer.Option("--source", help="Record source, when keys repeat across sources.")]
ByOption = Annotated[Optional[str], typer.Option("--by", help="Who decides (default: the acting user, --as).")]


@match_app.command("confirm")
def match_confirm(ctx: typer.Context, match_id: DecisionId = None, record: RecordOption = None,
                  document: DocumentOption = None, source: SourceOption = None, by: ByOption = None,
                  json_output: JsonOption = False) -> None:
    """Confirm a link (by id, or link a record and a document by hand)."""
    from curator.matching.decisions import confirm_match
    _decide(ctx, confirm_match, match_id, record, document, source, by, json_output)


@match_app.command("reject")
def match_reject(ctx: typer.Context, match_id: DecisionId = None, record: RecordOption = None,
                 document: DocumentOption = None, source: SourceOption = None, by: ByOption = None,
                 json_output: JsonOption = False) -> None:
    """Reject a link: these two are never linked again."""
    from curator.matching.decisions import reject_match
    _decide(ctx, reject_match, match_id, record, document, source, by, json_output)


def map_command(ctx: typer.Context, mapping: MappingOption = "invoice-sap", json_output: JsonOption = False) -> None:
    """Turn every matched record into a label (provenance erp), listing gaps and suspect fields."""
    from curator.mapping.stage import map_documents
    from curator.progress import rich_progress
    with workspace_from(ctx) as workspace:
        spec = _mapping(mapping, workspace)
        with rich_progress(not json_output) as progress:
            report = map_documents(workspace, spec, actor=acting_user(ctx), progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(f"labels: {report.labels_created} created, {report.labels_updated} updated, "
                      f"{report.labels_unchanged} unchanged; {report.fields_filled} fields filled, {report.gaps} gaps, "
                      f"{report.suspects} suspect, {report.schema_invalid} schema-invalid, "
                      f"{report.mapping_errors} mapping errors")
        for problem in report.problems[:20]:
            errors.print(f"{problem['record']} ({problem['file']}): {problem['detail']}")
    if report.problems:
        raise typer.Exit(1)


def bootstrap_command(
    ctx: typer.Context,
    mapping: MappingOption = "invoice-sap",
    erp_dir: Annotated[Optional[Path], typer.Option("--erp-dir", help="Folder with the exports (RBKP.csv, LFA1.xlsx, ...).")] = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help="NAME=KIND:LOCATION for one record source (repeatable).")] = None,
    json_output: JsonOption = False,
) -> None:
    """ingest erp + OCR + match + map in one go, with one report."""
    from curator.pipeline import bootstrap
    from curator.progress import rich_progress
    sources = {}
    for item in source or []:
        name, sep, location = item.partition("=")
        if not sep:
            raise fail(f"--source takes NAME=KIND:LOCATION, got {item!r}")
        sources[name] = location
    with workspace_from(ctx) as workspace:
        spec = _mapping(mapping, workspace)
        try:
            with rich_progress(not json_output) as progress:
                report = bootstrap(workspace, spec, actor=acting_user(ctx), erp_dir=erp_dir, sources=sources,
                                   progress_factory=lambda: progress)
        except (FileNotFoundError, ValueError, ConnectionError) as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
    else:
        _print_bootstrap(report.to_dict())
    if report.problems:
        raise typer.Exit(1)


def _print_bootstrap(data: dict) -> None:
    for name, records in data["records"].items():
        console.print(f"  records {name}: {records['added']} added, {records['updated']} updated, "
                      f"{records['unchanged']} unchanged, {records['duplicates']} duplicate rows, "
                      f"{records['quarantined']} quarantined")
    ocr = data["ocr"]
    console.print(f"  pages read: {ocr['pages_with_words']} (words and boxes), {ocr['pages']} by OCR ({ocr['engine']})"
                  + (f" (OCR skipped: {ocr['skipped_reason']})" if ocr["skipped_reason"] else ""))
    match = data["match"]
    console.print(f"  match: {match['auto']} linked, {match['ambiguous_records']} ambiguous, "
                  f"{match['unmatched_records']} records and {match['unmatched_documents']} documents unmatched")
    mapped = data["map"]
    console.print(f"  map: {mapped['labels_created']} labels created, {mapped['labels_updated']} updated; "
                  f"{mapped['gaps']} gaps, {mapped['suspects']} suspect fields")


@report_app.command("bootstrap")
def report_bootstrap(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option("--truth", help="Ground-truth folder with labels.jsonl (a synthetic corpus has one).")],
    mapping: MappingOption = "invoice-sap",
    json_output: JsonOption = False,
) -> None:
    """Per field: how many bootstrap labels are right, wrong, gaps, and flagged suspect."""
    from curator.mapping.accuracy import bootstrap_accuracy
    with workspace_from(ctx) as workspace:
        spec = _mapping(mapping, workspace)
        report = bootstrap_accuracy(workspace, spec, truth)
    if json_output:
        print_json(report)
        return
    print_table(
        f"{spec.name}: {report['documents']} documents",
        ["field", "correct", "wrong", "gap", "flagged", "flagged wrong", "accuracy when filled"],
        [(path, s["correct"], s["wrong"], s["gap"], s["flagged"], s["flagged_wrong"],
          "" if s["accuracy_when_filled"] is None else f"{s['accuracy_when_filled']:.1%}")
         for path, s in report["fields"].items()],
    )
    totals = report["totals"]
    console.print(f"total: {totals['correct']} correct, {totals['wrong']} wrong ({totals['flagged_wrong']} of them "
                  f"flagged suspect), {totals['gap']} gaps")


@report_app.command("teacher")
def report_teacher(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Teacher calls by model and mode: answers, failures, tokens, dollars and latency."""
    from curator.teach.costs import teacher_costs
    with workspace_from(ctx) as workspace:
        report = teacher_costs(workspace)
    if json_output:
        print_json(report)
        return
    print_table("Teacher calls", ["model", "mode", "status", "calls", "input tokens", "output tokens", "USD",
                                  "mean ms", "max ms"],
                [(r["model"], r["mode"], r["status"], r["calls"], f"{r['input_tokens']:,}", f"{r['output_tokens']:,}",
                  f"{r['cost_usd']:.4f}", r["mean_latency_ms"], r["max_latency_ms"]) for r in report["rows"]])
    totals = report["totals"]
    console.print(f"total: {totals['calls']} calls, {totals['input_tokens']:,} + {totals['output_tokens']:,} tokens, "
                  f"${totals['cost_usd']:.4f}" + (f" (${totals['cost_per_answer_usd']:.5f} per answer)"
                                                  if totals["cost_per_answer_usd"] else ""))
