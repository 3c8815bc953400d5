"""``curator triage``, ``split``, ``export`` and ``validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.choices import EXPORT_FORMATS, VALIDATION_TARGETS
from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.progress import rich_progress
from curator.text import for_terminal
from curator.cli.context import acting_user

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


fields_app = typer.Typer(help="The dataset's field set: which fields of a schema the datasets hold.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(fields_app, name="fields")
    app.command("triage")(triage_command)
    app.command("split")(split_command)
    app.command("export")(export_command)
    app.command("validate")(validate_command)


def triage_command(ctx: typer.Context, schema: Annotated[Optional[str], typer.Option("--schema")] = None,
                   json_output: JsonOption = False) -> None:
    """Auto-accept labels whose every field is backed; queue the rest for review by priority.

    The policy and its thresholds are set in curator.toml, section [triage].
    """
    from curator.curate.triage import triage
    with workspace_from(ctx) as workspace:
        with rich_progress(not json_output) as progress:
            report = triage(workspace, actor=acting_user(ctx), schema_name=schema, progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        order = {0: "conflicts", 1: "unsure teacher values", 2: "other"}
        queued = ", ".join(f"{count} {order[p]}" for p, count in sorted(report.by_priority.items()))
        for schema_name, chosen in report.field_sets.items():
            console.print(f"field set for {schema_name} (none was chosen): the {len(chosen['fields'])} fields decided "
                          f"on >= 90% of the labels; left out as unknown: {', '.join(chosen['left_out']) or 'none'} "
                          "(see `curator fields`)", highlight=False)
        console.print(f"policy {report.policy}: {report.auto_accepted} auto-accepted, {report.needs_review} need "
                      f"review{f' ({queued})' if queued else ''}; reasons: {report.reasons or 'none'}")


def split_command(
    ctx: typer.Context,
    train: Annotated[float, typer.Option("--train")] = 0.8,
    validation: Annotated[float, typer.Option("--validation")] = 0.1,
    test: Annotated[float, typer.Option("--test")] = 0.1,
    group_by: Annotated[Optional[list[str]], typer.Option("--group-by", help="Label field whose value keeps documents together, e.g. seller_name or employer.name (repeatable).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    stratify: Annotated[Optional[str], typer.Option("--stratify", help="Label field whose values each split should see in proportion, e.g. currency.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Assign documents to train/validation/test; assigned documents never move."""
    from curator.curate.splits import assign_splits
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output) as progress:
                report = assign_splits(workspace, actor=acting_user(ctx), progress=progress, ratios={"train": train, "validation": validation, "test": test},
                                   group_by=group_by, seed=seed, stratify_by=stratify)
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
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(EXPORT_FORMATS)}.")],
    schema: Annotated[Optional[str], typer.Option("--schema", help="Target schema: invoice or w2.")] = None,
    task: Annotated[str, typer.Option("--task", help="extraction (document -> JSON) or classification (document -> class).")] = "extraction",
    dest: Annotated[Optional[str], typer.Option("--dest", help="Folder, or s3://bucket/prefix to upload to.")] = None,
    s3: Annotated[Optional[str], typer.Option("--s3", help="s3://bucket/prefix the Bedrock lines point at (the upload's target).")] = None,
    include_text: Annotated[bool, typer.Option("--include-text", help="Add the document's text layer to the prompt.")] = False,
    llama_pages: Annotated[str, typer.Option("--llama-pages", help="per-page or tile (bedrock-llama32).")] = "per-page",
    template: Annotated[Optional[str], typer.Option("--prompt-template", help="User prompt with {keys}, e.g. 'Return JSON with: {keys}'.")] = None,
    max_pixels: Annotated[Optional[int], typer.Option("--max-pixels", help="Pixel budget per image (default per format).")] = None,
    fields: Annotated[Optional[str], typer.Option("--fields", help="The fields the dataset holds, comma-separated (default: the workspace's field set, see `curator fields`).")] = None,
    reserved: Annotated[str, typer.Option("--reserved", help="refuse: validation names labels holding Bedrock's reserved strings; neutralise: defuse them in the answers (User: -> User -).")] = "refuse",
    fold_validation: Annotated[bool, typer.Option("--fold-validation", help="Write the validation documents into train (Nova 2 Lite takes no validation set).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Write the approved and auto-accepted documents as a provider's dataset, with a manifest.

    Answers hold the fields of the dataset's field set; a document with an unknown field of
    the set is left out (and listed), never written with null for a value nobody looked at.
    """
    from curator.curate.export import export_dataset
    if fmt not in EXPORT_FORMATS:
        raise fail(f"unknown format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output) as progress:
                result = export_dataset(workspace, actor=acting_user(ctx), progress=progress, fmt=fmt, schema_name=schema, task=task, dest=dest, s3_prefix=s3,
                                    include_text=include_text, llama_pages=llama_pages, template=template,
                                    max_pixels=max_pixels,
                                    fields=[f for f in fields.split(",") if f.strip()] if fields else None,
                                    reserved=reserved, fold_validation=fold_validation)
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
        _print_fields(result.fields)
        _print_validation(result.validation)
    if result.validation["errors"]:
        raise typer.Exit(1)


def validate_command(
    ctx: typer.Context,
    target: Annotated[str, typer.Option("--target", help=f"One of: {', '.join(VALIDATION_TARGETS)}.")],
    export: Annotated[Optional[Path], typer.Option("--export", help="Export folder (default: the latest export of that format and --schema).")] = None,
    schema: Annotated[Optional[str], typer.Option("--schema")] = None,
    json_output: JsonOption = False,
) -> None:
    """Check an export against the provider's rules; exits non-zero on errors."""
    from curator.curate.export import labels_by_status, latest_export_folder
    from curator.curate.validate import validate_export
    from curator.schemas.registry import schema_for
    if target not in VALIDATION_TARGETS:
        raise fail(f"unknown target {target!r}; choose from {', '.join(VALIDATION_TARGETS)}")
    with workspace_from(ctx) as workspace:
        folder = export or latest_export_folder(workspace, _target_format(target), schema)
        if folder is None:
            raise fail(f"no {_target_format(target)} export" + (f" of {schema}" if schema else "")
                       + " yet: run curator export first")
        statuses = labels_by_status(workspace, schema) if schema else {}
        try:
            document = schema_for(workspace, schema) if schema else None
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
    with rich_progress(not json_output) as progress:
        report = validate_export(Path(folder), target, schema=document, labels_by_status=statuses, progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(f"{target}: checked {report.folder}: {report.counts}", highlight=False)
        _print_validation(report.to_dict())
    if not report.ok:
        raise typer.Exit(1)


def _target_format(target: str) -> str:
    from curator.curate.validate import TARGETS

    return TARGETS[target].export_format


def _print_validation(report: dict) -> None:
    for error in report["errors"][:30]:
        console.print(f"[red]error[/]: {error}", highlight=False)
    for warning in report["warnings"][:30]:
        console.print(f"[yellow]warning[/]: {warning}", highlight=False)
    if not report["errors"]:
        console.print("[green]valid[/] for " + report["target"])


def _print_fields(fields: dict) -> None:
    if not fields:
        return
    left_out = fields.get("left_out", [])
    console.print(f"{len(fields['fields'])} fields; {len(left_out)} documents left out because a field of the set "
                  "is unknown on their label" + (" (see manifest.json, fields.left_out)" if left_out else ""),
                  highlight=False)
    for item in left_out[:5]:
        console.print(f"  left out {for_terminal(item['file'] or item['document'][:12])}: {item['reason']}",
                      highlight=False)


@fields_app.command("suggest")
def fields_suggest(
    ctx: typer.Context,
    schema: Annotated[str, typer.Option("--schema", help="Target schema, e.g. invoice or w2.")],
    min_coverage: Annotated[float, typer.Option("--min-coverage", help="Keep fields decided on at least this share of the labels.")] = 0.9,
    save: Annotated[bool, typer.Option("--save", help="Keep it as the workspace's field set (curator.toml).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Propose a field set from what the labels decide today, with why each other field is out."""
    from curator.curate import fieldsets
    with workspace_from(ctx) as workspace:
        try:
            suggestion = fieldsets.suggest(workspace, schema, min_coverage=min_coverage)
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
        if save:
            fieldsets.save(workspace, schema, suggestion.fields)
    if json_output:
        print_json(suggestion.to_dict())
        return
    print_table(f"{schema}: fields decided on >= {min_coverage:.0%} of {suggestion.labels} labels", ["field", "decided on"],
                [(leaf, f"{suggestion.coverage[leaf]:.0%}") for leaf in suggestion.fields])
    if suggestion.left_out:
        print_table("left out (unknown: never written as null)", ["field", "why"],
                    list(suggestion.left_out.items()))
        console.print(fieldsets.how_to_fill(suggestion.left_out, schema), highlight=False)
    console.print("saved to curator.toml" if save else "not saved: add --save to use it", highlight=False)


@fields_app.command("show")
def fields_show(ctx: typer.Context, schema: Annotated[str, typer.Option("--schema")],
                json_output: JsonOption = False) -> None:
    """The field set triage, export and evaluation use for a schema."""
    from curator.curate import fieldsets
    with workspace_from(ctx) as workspace:
        try:
            chosen = fieldsets.field_set_for(workspace, schema)
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
        configured = schema in workspace.config.triage.fields
    if json_output:
        print_json({"schema": schema, "fields": chosen, "configured": configured})
        return
    console.print(f"{schema}: {len(chosen)} fields" + ("" if configured else " (every field: none chosen yet)"),
                  highlight=False)
    for leaf in chosen:
        console.print(f"  {leaf}", highlight=False)
