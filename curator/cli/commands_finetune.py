"""``curator finetune submit|status|list|stop|deploy|delete|cleanup``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from curator.cli.choices import SAGEMAKER_MODEL

from curator.cli.context import acting_user, workspace_from
from curator.cli.output import console, fail, print_json, print_table

finetune_app = typer.Typer(help="Fine-tune on Bedrock or SageMaker (ms-swift): submit, follow, deploy, clean up.",
                           no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json")]


def register(app: typer.Typer) -> None:
    app.add_typer(finetune_app, name="finetune")




def _overrides(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--hp takes NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


@finetune_app.command("submit")
def submit_command(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option("--provider", help="bedrock or sagemaker")] = "bedrock",
    base_model: Annotated[str, typer.Option("--base-model", help="bedrock: nova-lite|nova-pro|nova-2-lite|llama32-11b|llama32-90b")] = "nova-lite",
    distill: Annotated[bool, typer.Option("--distill", help="bedrock: distillation from --teacher instead of fine-tuning")] = False,
    teacher: Annotated[str, typer.Option("--teacher")] = "nova-premier",
    role_arn: Annotated[Optional[str], typer.Option("--role-arn")] = None,
    export: Annotated[str, typer.Option("--export", help="export id or latest")] = "latest",
    s3: Annotated[Optional[str], typer.Option("--s3", help="s3://bucket/prefix for job outputs (sagemaker: also inputs)")] = None,
    hp: Annotated[list[str], typer.Option("--hp", help="hyperparameter override NAME=VALUE (repeatable)")] = [],  # noqa: B006
    model: Annotated[str, typer.Option("--model", help="sagemaker: the model ms-swift fine-tunes")] = SAGEMAKER_MODEL,
    instance_type: Annotated[Optional[str], typer.Option("--instance-type")] = None,
    spot: Annotated[Optional[bool], typer.Option("--spot/--no-spot")] = None,
    image: Annotated[Optional[str], typer.Option("--image", help="sagemaker: training image URI")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the exact request; send nothing")] = False,
    json_output: JsonOption = False,
) -> None:
    """Validate the export for the model, upload it if needed, and create the training job."""
    from curator.finetune.bedrock import submit_bedrock
    from curator.finetune.jobs import FinetuneError
    from curator.finetune.sagemaker import submit_sagemaker
    with workspace_from(ctx) as workspace:
        try:
            if provider == "bedrock":
                result = submit_bedrock(workspace, acting_user(ctx), base=base_model, role_arn=role_arn, export=export,
                                        output_s3=s3, overrides=_overrides(hp),
                                        distill_teacher=teacher if distill else None, dry_run=dry_run)
            elif provider == "sagemaker":
                result = submit_sagemaker(workspace, acting_user(ctx), role_arn=role_arn, export=export, s3=s3, model=model,
                                          overrides=_overrides(hp), instance_type=instance_type, spot=spot,
                                          image=image, dry_run=dry_run)
            else:
                raise FinetuneError("--provider must be bedrock or sagemaker")
        except (FinetuneError, ValueError) as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(result)
        return
    if dry_run:
        console.print("[bold]dry run[/]: this request would be sent")
        console.print_json(data=result["request"])
    else:
        console.print(f"submitted [bold]{result['job']}[/] ({result['arn']})")
    if "estimate" in result:
        e = result["estimate"]
        console.print(f"hyperparameters {result['hyperparameters']}; about {e['training_tokens_per_epoch']:,} "
                      f"tokens x {e['epochs']} epochs = ${e['usd']:.2f} (+ ${e['storage_usd_per_month']}/month storage)")
    console.print("follow it with: curator finetune status " + result["request"].get(
        "jobName", result["request"].get("TrainingJobName", "")))


@finetune_app.command("status")
def status_command(ctx: typer.Context, job: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """Stage timeline, the provider's message, training and validation loss (and a PNG curve)."""
    from curator.finetune.jobs import FinetuneError
    from curator.finetune.lifecycle import job_status
    with workspace_from(ctx) as workspace:
        try:
            status = job_status(workspace, acting_user(ctx), job)
        except FinetuneError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(status)
        return
    print_table(f"{status['job']} ({status['provider']}): {status['status']}", ["stage", "status", "at", "message"],
                [(t["stage"], t["status"], t["at"][:19], t.get("message", "") or "") for t in status["timeline"]])
    if status.get("failure_message"):
        console.print(f"[red]failed[/]: {status['failure_message']}")
    if status["loss"]:
        last = {p["series"]: p for p in status["loss"]}
        console.print(", ".join(f"{s.replace('_', ' ')} {p['loss']:.4f} at step {p['step']:.0f}"
                                for s, p in sorted(last.items())) + f"; curve: {status.get('loss_png')}")


@finetune_app.command("list")
def list_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    from curator.finetune.lifecycle import jobs_overview
    with workspace_from(ctx) as workspace:
        jobs = jobs_overview(workspace, acting_user(ctx))
    if json_output:
        print_json(jobs)
    else:
        print_table("Fine-tuning jobs", ["name", "provider", "base model", "export", "status", "deployment"],
                    [(j["name"], j["provider"], j["base_model"], j["export"], j["status"],
                      "yes" if j["deployment_arn"] else "") for j in jobs])


def _simple(ctx: typer.Context, action, job: str, json_output: bool, **kwargs) -> None:
    from curator.finetune.jobs import FinetuneError
    with workspace_from(ctx) as workspace:
        try:
            result = action(workspace, acting_user(ctx), job, **kwargs)
        except FinetuneError as exc:
            raise fail(str(exc)) from None
    print_json(result) if json_output else console.print(result)


@finetune_app.command("stop")
def stop_command(ctx: typer.Context, job: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    from curator.finetune.lifecycle import stop_job
    _simple(ctx, stop_job, job, json_output)


@finetune_app.command("deploy")
def deploy_command(ctx: typer.Context, job: Annotated[str, typer.Argument()],
                   no_wait: Annotated[bool, typer.Option("--no-wait")] = False, json_output: JsonOption = False) -> None:
    """Serve the custom model on demand (waits until it is Active, about 30 minutes)."""
    from curator.finetune.lifecycle import deploy_job
    _simple(ctx, deploy_job, job, json_output, wait=not no_wait)


@finetune_app.command("cleanup")
def cleanup_command(ctx: typer.Context, job: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """Remove the deployment and the custom model: nothing of the job is billed any more."""
    from curator.finetune.lifecycle import cleanup_job
    _simple(ctx, cleanup_job, job, json_output)


@finetune_app.command("delete")
def delete_command(ctx: typer.Context, job: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """Like cleanup, and mark the job deleted."""
    from curator.finetune.lifecycle import cleanup_job
    _simple(ctx, cleanup_job, job, json_output)
