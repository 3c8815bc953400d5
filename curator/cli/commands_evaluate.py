"""``curator evaluate --model ...``, ``curator evaluate compare A B``, ``curator evaluate list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.context import workspace_from
from curator.names import slug
from curator.cli.output import console, fail, print_json, print_table
from curator.cli.context import acting_user

evaluate_app = typer.Typer(help="Evaluate a model on a split, field by field; compare base and fine-tuned.",
                           invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(evaluate_app, name="evaluate")
    app.command("predict")(predict_command)


def predict_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="PDF or image files to read.")],
    model: Annotated[str, typer.Option("--model", help="bedrock:<model id or deployment ARN> or openai:<url>#<model>")],
    schema: Annotated[str, typer.Option("--schema")] = "invoice",
    export: Annotated[Optional[Path], typer.Option("--export", help="The export the model was trained on (default: the newest of the schema).")] = None,
    json_schema: Annotated[bool, typer.Option("--json-schema", help="Ask an OpenAI-compatible server for output constrained to the dataset's schema.")] = False,
) -> None:
    """Answer JSON for new documents, asked with the prompts the model was trained with; one
    {"file", "prediction"} line per file (what `evaluate --model predictions:FILE` reads)."""
    from curator.evaluate.predict import as_jsonl, predict

    failed = False
    with workspace_from(ctx) as workspace:
        try:
            for line in as_jsonl(predict(workspace, model, files, schema_name=schema, export=export,
                                         constrained=json_schema)):
                failed |= '"error"' in line
                typer.echo(line, nl=False)
        except (ValueError, KeyError) as exc:
            raise fail(str(exc).strip("'\"")) from None
    if failed:
        raise typer.Exit(1)


@evaluate_app.callback()
def evaluate_command(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option("--model", help="bedrock:<model id or deployment ARN>, openai:<url>#<model> or predictions:<file.jsonl>")] = None,
    schema: Annotated[str, typer.Option("--schema")] = "invoice",
    split: Annotated[str, typer.Option("--split")] = "test",
    name: Annotated[Optional[str], typer.Option("--name", help="Run name (default from model, schema, split); the same name resumes.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Relative tolerance for numbers.")] = 0.001,
    ignore_case: Annotated[bool, typer.Option("--ignore-case")] = False,
    keep_whitespace: Annotated[bool, typer.Option("--keep-whitespace", help="Compare white space exactly.")] = False,
    price: Annotated[Optional[str], typer.Option("--price", help="USD per 1,000 tokens IN,OUT for cost per page.")] = None,
    export: Annotated[Optional[Path], typer.Option("--export", help="The export folder the model was trained on (its prompts are used; default: the newest export of the schema).")] = None,
    rules: Annotated[str, typer.Option("--rules", help="curator (default); nova-w2-sample or doc2json-sample reproduce the published evaluations.")] = "curator",
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the model over the split with the export's prompt (or read its predictions) and score it."""
    from curator.evaluate.metrics import CompareOptions
    from curator.evaluate.runner import EvaluationError, evaluate
    from curator.progress import rich_progress
    from curator.teach.base import PRICES, Price
    if ctx.invoked_subcommand is not None:
        return
    if not model:
        raise fail("--model is needed (or a subcommand: compare, list)")
    options = CompareOptions(tolerance=tolerance, ignore_case=ignore_case, collapse_whitespace=not keep_whitespace)
    unit = Price(*map(float, price.split(","))) if price else PRICES.get(model.split(":", 1)[-1])
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output) as progress:
                result = evaluate(workspace, model, actor=acting_user(ctx), schema_name=schema, split=split, name=name,
                                  concurrency=concurrency, options=options, price=unit, progress=progress,
                                  export=export, rules=rules)
        except (EvaluationError, ValueError) as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json({k: v for k, v in result.items() if k != "cells"})
        if result["problems"]:
            raise typer.Exit(1)
        return
    overall = result["overall"]
    console.print(f"run [bold]{result['name']}[/]: {result['documents']} documents, invalid JSON "
                  f"{result['invalid_json']}, accuracy {overall['accuracy']:.2%}, F1 "
                  f"{(overall['f1'] or 0):.2%}, CER {(overall['cer'] or 0):.3f}"
                  + (f", ${result['cost_per_page_usd']:.5f} per page" if result.get("cost_per_page_usd") else ""))
    print_table("By category", ["category", "accuracy", "precision", "recall", "F1"],
                [(c, *(f"{(m[k] or 0):.2%}" for k in ("accuracy", "precision", "recall", "f1")))
                 for c, m in result["categories"].items()])
    published = result.get("rule_set")
    if published and published["rules"] == "nova-w2-sample":
        print_table("Rules nova-w2-sample: accuracy by category", ["category", "accuracy", "values compared"],
                    [(c, f"{(m['accuracy'] or 0):.2%}", m["compared"]) for c, m in published["categories"].items()])
    elif published:
        print_table(f"Rules {published['rules']} (invalid JSON {(published['invalid_json_rate'] or 0):.1%})",
                    ["key", "exact match", "CER", "ROUGE-1", "ROUGE-2", "ROUGE-L"],
                    [(k, f"{m['exact_match']:.2%}", f"{m['cer']:.3f}", f"{m['rouge1']:.3f}", f"{m['rouge2']:.3f}",
                      f"{m['rougeL']:.3f}") for k, m in published["fields"].items()])
    if result["problems"]:
        print_table("Quarantined (see `curator docs quarantine`)", ["where", "reason", "detail"],
                    [(p["source"], p["reason"], p["detail"]) for p in result["problems"]])
        raise typer.Exit(1)


@evaluate_app.command("compare")
def compare_command(
    ctx: typer.Context,
    base: Annotated[str, typer.Argument(help="Run name of the base model")],
    tuned: Annotated[str, typer.Argument(help="Run name of the fine-tuned model")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the Markdown, HTML and PNG reports.")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The post's table (category x metric), an F1 bar chart and edit-distance heat maps."""
    from curator.evaluate.compare import write_comparison
    from curator.evaluate.runner import EvaluationError, load_run
    with workspace_from(ctx) as workspace:
        try:
            a, b = load_run(workspace, base), load_run(workspace, tuned)
        except EvaluationError as exc:
            raise fail(str(exc)) from None
        folder = out or workspace.root / "reports" / "evaluation" / f"{slug(base)}-vs-{slug(tuned)}"
        result = write_comparison(a, b, folder)
    if json_output:
        print_json(result)
    else:
        console.print(result["markdown"])
        console.print("reports: " + ", ".join(result["files"]))


@evaluate_app.command("list")
def list_command(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    from curator.evaluate.runner import list_runs
    with workspace_from(ctx) as workspace:
        runs = list_runs(workspace)
    if json_output:
        print_json(runs)
    else:
        print_table("Evaluation runs", ["name", "model", "schema", "split", "documents", "F1", "invalid JSON"],
                    [(r["name"], r["model"], r["schema"], r["split"], r["documents"],
                      "-" if r["f1"] is None else f"{r['f1']:.2%}",
                      "-" if r["invalid_json_rate"] is None else f"{r['invalid_json_rate']:.1%}") for r in runs])
