"""``curator annotate``: pre-annotate with a teacher model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.text import for_terminal
from curator.cli.context import acting_user

if TYPE_CHECKING:
    from curator.teach.base import Price
    from curator.teach.batch import BedrockBatch


def register(app: typer.Typer) -> None:
    app.command("annotate")(annotate_command)


def annotate_command(
    ctx: typer.Context,
    teacher: Annotated[str, typer.Option("--teacher", help="bedrock:<model id>, bedrock-batch:<model id> or openai:<base url>#<model>.")] = "bedrock:us.amazon.nova-premier-v1:0",
    schema: Annotated[str, typer.Option("--schema", help="invoice or w2.")] = "invoice",
    mode: Annotated[str, typer.Option("--mode", help="gaps: only what the ERP lacks; verify: everything, conflicts kept.")] = "gaps",
    estimate: Annotated[bool, typer.Option("--estimate", help="Print expected tokens and dollars; send nothing.")] = False,
    budget: Annotated[Optional[float], typer.Option("--budget", help="Stop cleanly after spending this many US dollars.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    price: Annotated[Optional[str], typer.Option("--price", help="USD per 1,000 tokens: INPUT,OUTPUT (default: known price of the model).")] = None,
    s3: Annotated[Optional[str], typer.Option("--s3", help="bedrock-batch: s3://bucket/prefix for requests and answers (default: [teacher] batch_s3).")] = None,
    role_arn: Annotated[Optional[str], typer.Option("--role-arn", help="bedrock-batch: the service role the job runs as (default: [teacher] batch_role_arn).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="bedrock-batch: poll until every job is collected.")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds")] = 60.0,
    delivery: Annotated[str, typer.Option("--delivery", help="bedrock: above [teacher] batch_above documents, "
                                          "'propose' (default) stops and shows both prices, 'auto' switches to batch "
                                          "inference, 'on-demand' sends on demand anyway.")] = "propose",
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Fill the gaps (or verify every field) with a teacher model; paid answers are never asked twice.

    With bedrock-batch:<model> each run collects the jobs that finished and submits what is still
    unanswered (at half the on-demand price); run it again, or pass --wait, to collect.
    Labels the teacher changed are triaged again at the end.
    """
    from curator.curate.triage import triage
    from curator.progress import rich_progress
    from curator.teach import open_teacher
    from curator.teach.annotate import annotate
    from curator.teach.volume import EstimateOnly
    from curator.teach.base import PRICES, Price
    from botocore.exceptions import BotoCoreError, ClientError
    from curator.teach.batch import run_batch
    kind, _, batch_model = teacher.partition(":")
    try:
        if kind == "bedrock-batch" and not batch_model:
            raise ValueError("bedrock-batch needs a model: bedrock-batch:<model id>")
        model = None if kind == "bedrock-batch" else open_teacher(teacher)
        model_id = batch_model if model is None else model.model
        unit = Price(*map(float, price.split(","))) if price else PRICES.get(model_id)
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None
    if delivery not in ("propose", "auto", "on-demand"):
        raise fail("--delivery must be propose, auto or on-demand")
    with workspace_from(ctx) as workspace:
        if kind == "bedrock" and not estimate and delivery != "on-demand":
            from curator.teach.volume import choose_delivery
            choice = choose_delivery(workspace, model_id, schema_name=schema, mode=mode, price=unit,
                                     above=workspace.config.teacher.batch_above, actor=acting_user(ctx))
            if choice.batch_is_cheaper:
                if delivery == "propose":
                    console.print(choice.message() + "\nNothing was sent. Run again with --delivery auto (batch "
                                  "inference) or --delivery on-demand.", markup=False)
                    if json_output:
                        print_json({"proposal": choice.to_dict()})
                    return
                console.print(choice.message() + "\nUsing batch inference (--delivery auto).", markup=False)
                model, batch_model = None, model_id
        try:
            with rich_progress(not json_output and not estimate) as progress:
                if model is None and not estimate:
                    report = run_batch(workspace, _batch(workspace, batch_model, s3, role_arn), actor=acting_user(ctx), schema_name=schema,
                                       mode=mode, price=unit, wait=wait, poll_seconds=poll_seconds, progress=progress)
                else:
                    report = annotate(workspace, model or EstimateOnly(model_id), actor=acting_user(ctx), schema_name=schema, mode=mode,
                                      concurrency=concurrency, budget_usd=budget,
                                      price=unit if model else _half(unit), estimate_only=estimate, progress=progress)
        except ValueError as exc:
            raise fail(str(exc)) from None
        except (BotoCoreError, ClientError) as exc:
            raise fail(f"AWS refused the batch step: {exc}") from None
        triaged = triage(workspace, actor=acting_user(ctx), schema_name=schema) if not estimate else None
    if json_output:
        print_json({**report.to_dict(), "triage": triaged.to_dict() if triaged else None})
    elif estimate:
        e = report.estimate
        console.print(f"{e['documents']} documents ({e['pages']} pages) to ask {model_id}: about "
                      f"{e['input_tokens']:,} input + {e['output_tokens']:,} output tokens = "
                      f"${e['usd']:.2f}{'' if unit else ' (price unknown: pass --price IN,OUT)'}; "
                      f"{e['already_answered']} already answered")
    else:
        console.print(f"{report.documents} documents: {report.called} asked, {report.from_cache} answered before, "
                      f"{report.failed} failed; {report.fields_filled} gaps filled, {report.agreements} agreements, "
                      f"{report.conflicts} conflicts; {report.input_tokens:,} + {report.output_tokens:,} tokens, "
                      f"${report.cost_usd:.4f}" + (" (stopped: budget reached)" if report.stopped_by_budget else ""))
        for job in report.batches or []:
            console.print(f"  batch {job['job']}: {job['status']}, {job['records']} records"
                          + (", collected" if job["collected"] else "") + (f" ({job['message']})" if job["message"] else ""))
        if triaged is not None:
            console.print(f"triage ({triaged.policy}): {triaged.auto_accepted} auto-accepted, "
                          f"{triaged.needs_review} need review")
        if report.problems:
            print_table("Quarantined", ["document", "reason", "detail"],
                        [(p["document"][:12], p["reason"], p["detail"]) for p in report.problems])
        if report.stopped_reason:
            console.print(f"[red]{for_terminal(report.stopped_reason)}[/]")
    if report.problems or report.stopped_reason:
        raise typer.Exit(1)


def _half(price: Price | None) -> Price | None:
    from curator.teach.batch import batch_price
    return batch_price(price) if price else None


def _batch(workspace, model: str, s3: str | None, role_arn: str | None) -> BedrockBatch:
    from curator.teach.batch import BedrockBatch
    settings = workspace.config.teacher
    s3, role_arn = s3 or settings.batch_s3, role_arn or settings.batch_role_arn
    if not s3 or not role_arn:
        raise ValueError("bedrock-batch needs --s3 s3://bucket/prefix and --role-arn ARN "
                         "(or batch_s3 / batch_role_arn in curator.toml, section [teacher])")
    return BedrockBatch(model=model, s3_uri=s3, role_arn=role_arn, min_records=settings.batch_min_records)
