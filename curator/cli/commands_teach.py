"""``curator annotate``: pre-annotate with a teacher model."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.progress import rich_progress
from curator.teach.annotate import annotate
from curator.teach.base import PRICES, Price
from curator.teach.bedrock import BedrockConverseTeacher
from curator.teach.openai_compat import OpenAICompatibleTeacher


def register(app: typer.Typer) -> None:
    app.command("annotate")(annotate_command)


def make_teacher(spec: str):
    """``bedrock:<model>`` or ``openai:<url>#<model>``."""
    kind, _, rest = spec.partition(":")
    if kind == "bedrock" and rest:
        return BedrockConverseTeacher(model=rest)
    if kind == "openai" and "#" in rest:
        url, _, model = rest.rpartition("#")
        return OpenAICompatibleTeacher(url, model, api_key=os.environ.get("OPENAI_API_KEY"))
    if kind == "bedrock-batch":
        raise ValueError("bedrock-batch teachers are not in this build yet: use bedrock:<model> (on-demand)")
    raise ValueError(f"teacher must be bedrock:<model> or openai:<url>#<model>, got {spec!r}")


def annotate_command(
    ctx: typer.Context,
    teacher: Annotated[str, typer.Option("--teacher", help="bedrock:<model id> or openai:<base url>#<model>.")] = "bedrock:us.amazon.nova-premier-v1:0",
    schema: Annotated[str, typer.Option("--schema", help="invoice or w2.")] = "invoice",
    mode: Annotated[str, typer.Option("--mode", help="gaps: only what the ERP lacks; verify: everything, conflicts kept.")] = "gaps",
    estimate: Annotated[bool, typer.Option("--estimate", help="Print expected tokens and dollars; send nothing.")] = False,
    budget: Annotated[Optional[float], typer.Option("--budget", help="Stop cleanly after spending this many US dollars.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    price: Annotated[Optional[str], typer.Option("--price", help="USD per 1,000 tokens: INPUT,OUTPUT (default: known price of the model).")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Fill the gaps (or verify every field) with a teacher model; paid answers are never asked twice."""
    try:
        model = make_teacher(teacher)
        unit = Price(*map(float, price.split(","))) if price else PRICES.get(model.model)
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output and not estimate) as progress:
                report = annotate(workspace, model, schema_name=schema, mode=mode, concurrency=concurrency,
                                  budget_usd=budget, price=unit, estimate_only=estimate, progress=progress)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
    elif estimate:
        e = report.estimate
        console.print(f"{e['documents']} documents ({e['pages']} pages) to ask {model.model}: about "
                      f"{e['input_tokens']:,} input + {e['output_tokens']:,} output tokens = "
                      f"${e['usd']:.2f}{'' if unit else ' (price unknown: pass --price IN,OUT)'}; "
                      f"{e['already_answered']} already answered")
    else:
        console.print(f"{report.documents} documents: {report.called} asked, {report.from_cache} answered before, "
                      f"{report.failed} failed; {report.fields_filled} gaps filled, {report.agreements} agreements, "
                      f"{report.conflicts} conflicts; {report.input_tokens:,} + {report.output_tokens:,} tokens, "
                      f"${report.cost_usd:.4f}" + (" (stopped: budget reached)" if report.stopped_by_budget else ""))
        if report.problems:
            print_table("Quarantined", ["document", "reason", "detail"],
                        [(p["document"][:12], p["reason"], p["detail"]) for p in report.problems])
    if report.problems:
        raise typer.Exit(1)
