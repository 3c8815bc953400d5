"""``curator triage``, ``split``, ``export`` and ``validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.curate.export import export_dataset, labels_by_status, latest_export_folder
from curator.curate.splits import assign_splits
from curator.curate.triage import triage
from curator.curate.validate import TARGETS, validate_export
from curator.schemas import builtin_schema
from curator.cli.context import acting_user
from exports import FORMATS

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    app.command("triage")(triage_command)
    app.command("split")(split_command)
    app.command("export")(export_command)
    app.command("validate")(validate_command)


def triage_command(ctx: typer.Context, schema: Annotated[Optional[str], typer.Option("--schema")] = None,
                   json_output: JsonOption = False) -> None:
    """Auto-accept labels whose every field is backed; queue the rest for review by priority.

    The policy and its thresholds are set in curator.toml, section [triage].
    """
    with workspace_from(ctx) as workspace:
        report = triage(workspace, actor=acting_user(ctx), schema_name=schema)
    if json_output:
        print_json(report.to_dict())
    else:
        order = {0: "conflicts", 1: "unsure teacher values", 2: "other"}
        queued = ", ".join(f"{count} {order[p]}" for p, count in sorted(report.by_priority.items()))
        console.print(f"policy {report.policy}: {report.auto_accepted} auto-accepted, {report.needs_review} need "
                      f"review{f' ({queued})' if queued else ''}; reasons: {report.reasons or 'none'}")


def split_command(
    ctx: typer.Context,
    train: Annotated[float, typer.Option("--train")] = 0.8,
    validation: Annotated[float, typer.Option("--validation")] = 0.1,
    test: Annotated[float, typer.Option("--test")] = 0.1,
    group_by: Annotated[Optional[list[str]], typer.Option("--group-by", help="Label field whose value keeps documents together, e.g. seller_name or employer.name (repeatable).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    json_output: JsonOption = False,
) -> None:
    """Assign documents to train/validation/test; assigned documents never move."""
    with workspace_from(ctx) as workspace:
        try:
            report = assign_splits(workspace, actor=acting_user(ctx), ratios={"train": train, "validation": validation, "test": test},
                                   group_by=group_by, seed=seed)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
        return
    console.print(f"{report.assigned} newly assigned, {report.kept} kept, {report.groups} groups ({report.strategy})")
    print_table("documents per split", ["class", "train", "validation", "test"],
                [(cls, c["train"], c["validation"], c["test"]) for cls, c in report.counts.items()])


def export_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")],
    schema: Annotated[Optional[str], typer.Option("--schema", help="Target schema: invoice or w2.")] = None,
    task: Annotated[str, typer.Option("--task", help="extraction (document -> JSON) or classification (document -> class).")] = "extraction",
    dest: Annotated[Optional[str], typer.Option("--dest", help="Folder, or s3://bucket/prefix to upload to.")] = None,
    s3: Annotated[Optional[str], typer.Option("--s3", help="s3://bucket/prefix the Bedrock lines point at (the upload's target).")] = None,
    include_text: Annotated[bool, typer.Option("--include-text", help="Add the document's text layer to the prompt.")] = False,
    llama_pages: Annotated[str, typer.Option("--llama-pages", help="per-page or tile (bedrock-llama32).")] = "per-page",
    template: Annotated[Optional[str], typer.Option("--prompt-template", help="User prompt with {keys}, e.g. 'Return JSON with: {keys}'.")] = None,
    max_pixels: Annotated[Optional[int], typer.Option("--max-pixels", help="Pixel budget per image (default per format).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Write the approved and auto-accepted documents as a provider's dataset, with a manifest."""
    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    with workspace_from(ctx) as workspace:
        try:
            result = export_dataset(workspace, actor=acting_user(ctx), fmt=fmt, schema_name=schema, task=task, dest=dest, s3_prefix=s3,
                                    include_text=include_text, llama_pages=llama_pages, template=template,
                                    max_pixels=max_pixels)
        except (ValueError, KeyError) as exc:
            raise fail(str(exc).strip("'\"")) from None
    if json_output:
        print_json(result.to_dict())
    elif result.kept_previous:
        console.print(f"[red]not written[/]: the new {fmt} export fails the provider's rules, so the previous "
                      f"export in {result.kept_previous} was kept as it is", highlight=False)
        _print_validation(result.validation)
    else:
        console.print(f"export {result.export_id}: {result.counts} -> {result.folder}"
                      + (f" (uploaded to {result.s3_prefix})" if result.uploaded else ""))
        _print_validation(result.validation)
    if result.validation["errors"]:
        raise typer.Exit(1)


def validate_command(
    ctx: typer.Context,
    target: Annotated[str, typer.Option("--target", help=f"One of: {', '.join(TARGETS)}.")],
    export: Annotated[Optional[Path], typer.Option("--export", help="Export folder (default: the latest export of that format).")] = None,
    schema: Annotated[Optional[str], typer.Option("--schema")] = None,
    json_output: JsonOption = False,
) -> None:
    """Check an export against the provider's rules; exits non-zero on errors."""
    if target not in TARGETS:
        raise fail(f"unknown target {target!r}; choose from {', '.join(TARGETS)}")
    with workspace_from(ctx) as workspace:
        folder = export or latest_export_folder(workspace, TARGETS[target].export_format)
        if folder is None:
            raise fail(f"no {TARGETS[target].export_format} export yet: run curator export first")
        statuses = labels_by_status(workspace, schema) if schema else {}
    report = validate_export(Path(folder), target, schema=builtin_schema(schema) if schema else None,
                             labels_by_status=statuses)
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(f"{target}: {report.counts} in {report.folder}")
        _print_validation(report.to_dict())
    if not report.ok:
        raise typer.Exit(1)


def _print_validation(report: dict) -> None:
    for error in report["errors"][:30]:
        console.print(f"[red]error[/]: {error}", highlight=False)
    for warning in report["warnings"][:30]:
        console.print(f"[yellow]warning[/]: {warning}", highlight=False)
    if not report["errors"]:
        console.print("[green]valid[/] for " + report["target"])
