"""Bedrock model customization: submit (validated, uploaded, idempotent), follow, deploy, clean up.

Jobs are addressed by name (``jobIdentifier`` takes a name or an ARN; names also work with
moto). Status reads the stage timeline from ``statusDetails`` and the training loss from the
job's ``step_wise_training_metrics.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from typing import Any

from connectors.documents.s3 import parse_s3_uri
from curator.curate.upload import upload_folder
from curator.finetune.aws_errors import aws_step, explain
from curator.finetune.jobs import FinetuneError, check_export, choose_export, record_job, update_job
from curator.finetune.recipes import TEACHERS, BaseModel, base_model, recommend, training_cost
from curator.access import Actor, require
from curator.store.models import FineTuneJob
from curator.workspace import Workspace

TOKENS_PER_RECORD = 1_895 + 411  # the Nova W-2 post's page: input + output tokens
STAGES = (("validation", "validationDetails"), ("data processing", "dataProcessingDetails"),
          ("training", "trainingDetails"))


def _name(prefix: str, digest: str) -> str:
    return f"{prefix}-{digest[:12]}"[:63]


def build_request(model: BaseModel, export, *, role_arn: str, output_s3: str, hyperparameters: dict[str, str],
                  distill_teacher: str | None = None) -> dict[str, Any]:
    dataset = export.s3_prefix.rstrip("/")
    fingerprint = hashlib.sha256(json.dumps([export.id, export.manifest.get("files", {}).get("train.jsonl"),
                                             model.key, hyperparameters, distill_teacher, role_arn],
                                            sort_keys=True).encode()).hexdigest()
    name = _name(f"curator-{model.key}", fingerprint)
    request: dict[str, Any] = {
        "jobName": name,
        "customModelName": name.replace("curator-", "curator-model-")[:63],
        "roleArn": role_arn,
        "baseModelIdentifier": model.model_id,
        "trainingDataConfig": {"s3Uri": f"{dataset}/train.jsonl"},
        "outputDataConfig": {"s3Uri": f"{output_s3.rstrip('/')}/{name}/"},
        "hyperParameters": hyperparameters,
        "clientRequestToken": fingerprint[:32],
        "customizationType": "FINE_TUNING",
        "jobTags": [{"key": "created-by", "value": "curator"}, {"key": "curator-export", "value": str(export.id)}],
    }
    if export.counts.get("validation") and model.accepts_validation_set:
        request["validationDataConfig"] = {"validators": [{"s3Uri": f"{dataset}/validation.jsonl"}]}
    if distill_teacher:
        if distill_teacher not in TEACHERS:
            raise FinetuneError(f"--teacher must be one of {', '.join(TEACHERS)}")
        request["customizationType"] = "DISTILLATION"
        request["customizationConfig"] = {"distillationConfig": {"teacherModelConfig": {
            "teacherModelIdentifier": TEACHERS[distill_teacher], "maxResponseLengthForInference": 1000}}}
        request.pop("hyperParameters")
        request["hyperParameters"] = {k: v for k, v in hyperparameters.items() if k != "learningRateWarmupSteps"}
    return request


def plan_bedrock(workspace: Workspace, actor: Actor, *, base: str, role_arn: str | None, export: str = "latest",
                 output_s3: str | None = None, overrides: dict[str, Any] | None = None,
                 distill_teacher: str | None = None) -> dict[str, Any]:
    """Everything the submit would do, without sending anything: the request, the settings,
    the validation, the cost estimate."""
    actor = require(workspace, actor, "finetune")
    model = base_model(base)
    role_arn = role_arn or workspace.config.finetune.role_arn
    if not role_arn:
        raise FinetuneError("a service role is needed: --role-arn or [finetune] role_arn in curator.toml")
    chosen = choose_export(workspace, export, model.export_format)
    validation = check_export(chosen, model.validation_target)
    if not chosen.s3_prefix:
        raise FinetuneError(f"export {chosen.id} has no S3 location; export again with --s3 s3://bucket/prefix "
                            "(Bedrock reads datasets and images from one bucket)")
    output_s3 = output_s3 or workspace.config.finetune.s3 or f"{chosen.s3_prefix.rstrip('/')}/jobs"
    parse_s3_uri(output_s3)
    records = chosen.counts.get("train", 0) + chosen.counts.get("validation", 0)
    hyperparameters = recommend(model, records, overrides)
    request = build_request(model, chosen, role_arn=role_arn, output_s3=output_s3, hyperparameters=hyperparameters,
                            distill_teacher=distill_teacher)
    tokens = chosen.counts.get("train", 0) * TOKENS_PER_RECORD
    return {"provider": "bedrock", "base_model": model.key, "export": chosen.id, "records": records,
            "hyperparameters": hyperparameters, "request": request, "validation": {
                "ok": validation["ok"], "warnings": validation["warnings"][:10], "counts": validation["counts"]},
            "estimate": {"training_tokens_per_epoch": tokens, "epochs": int(hyperparameters["epochCount"]),
                         "usd": round(training_cost(model, tokens, hyperparameters), 2),
                         "storage_usd_per_month": model.storage_per_month},
            "_export": chosen}


def submit_bedrock(workspace: Workspace, actor: Actor, *, client: Any = None, s3_client: Any = None,
                   dry_run: bool = False, **options: Any) -> dict[str, Any]:
    """Start a Bedrock customization job from a validated export (authors and admins: it spends
    money). Idempotent: the same export, model and settings adopt the job already started.

    >>> submit_bedrock(workspace, "ana", base="nova-lite", role_arn=role, dry_run=True)["request"]
    """
    plan = plan_bedrock(workspace, actor, **options)
    chosen = plan.pop("_export")
    if dry_run:
        return plan
    import boto3

    client = client or boto3.client("bedrock", region_name=workspace.config.finetune.region)
    with aws_step("uploading the dataset"):
        upload_folder(chosen.folder, chosen.s3_prefix, chosen.files, client=s3_client)
    request = plan["request"]
    existing = _recorded(workspace, request["jobName"])
    if existing is not None:  # the same export, model and settings were submitted before
        return {**plan, "job": existing.name, "arn": existing.arn, "already_submitted": True}
    try:
        response = client.create_model_customization_job(**request)
    except Exception as exc:  # noqa: BLE001
        if _code(exc) in ("ResourceInUseException", "ConflictException"):
            # Created by an earlier run that died before recording it: adopt that job.
            try:
                response = {"jobArn": client.get_model_customization_job(jobIdentifier=request["jobName"])["jobArn"]}
            except Exception as inner:  # noqa: BLE001
                raise explain("creating the customization job", exc) from inner
        else:
            raise explain("creating the customization job", exc) from None
    job = record_job(workspace, provider="bedrock", name=request["jobName"], arn=response["jobArn"],
                     base_model=plan["base_model"], export_id=chosen.id,
                     hyperparameters=json.dumps(plan["hyperparameters"]), request=json.dumps(request),
                     status="InProgress", output_uri=request["outputDataConfig"]["s3Uri"], created_by=actor.name)
    return {**plan, "job": job.name, "arn": job.arn}


def _recorded(workspace: Workspace, name: str) -> FineTuneJob | None:
    from sqlmodel import select

    with workspace.session() as session:
        return session.exec(select(FineTuneJob).where(FineTuneJob.name == name, FineTuneJob.arn != None)).first()  # noqa: E711


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code", "")


def bedrock_status(workspace: Workspace, job: FineTuneJob, client: Any, s3_client: Any = None) -> dict[str, Any]:
    with aws_step(f"reading job {job.name}"):
        details = client.get_model_customization_job(jobIdentifier=job.name)
    timeline = [{"stage": "submitted", "status": "Completed", "at": str(details.get("creationTime", ""))}]
    status_details = details.get("statusDetails", {})
    for stage, key in STAGES:
        if key in status_details:
            entry = status_details[key]
            timeline.append({"stage": stage, "status": entry.get("status"), "at": str(entry.get("lastModifiedTime",
                                                                                                 entry.get("creationTime", "")))})
    status = details["status"]
    final = {"Completed": "completed", "Failed": "failed", "Stopped": "stopped", "Stopping": "stopping"}.get(status)
    if final:
        timeline.append({"stage": final, "status": status, "at": str(details.get("endTime", "")),
                         **({"message": details.get("failureMessage")} if status == "Failed" else {})})
    update_job(workspace, job.id, status=status, timeline=json.dumps(timeline, default=str),
               custom_model_arn=details.get("outputModelArn") if status == "Completed" else job.custom_model_arn,
               failure_message=details.get("failureMessage") if status == "Failed" else None)
    job_id = details.get("jobArn", job.arn or "").rsplit("/", 1)[-1]
    losses = read_loss_csv(s3_client, details.get("outputDataConfig", {}).get("s3Uri") or job.output_uri or "",
                           job_id) if s3_client is not None else []
    return {"job": job.name, "provider": "bedrock", "status": status, "timeline": timeline,
            "failure_message": details.get("failureMessage") if status == "Failed" else None,
            "custom_model_arn": details.get("outputModelArn") if status == "Completed" else None, "loss": losses}


def read_loss_csv(s3_client: Any, output_uri: str, job_id: str) -> list[dict[str, float]]:
    """Step-wise training loss (and validation loss where Bedrock wrote it) from the job's output."""
    if not output_uri:
        return []
    bucket, prefix = parse_s3_uri(output_uri)
    base = f"{prefix.rstrip('/')}/model-customization-job-{job_id}".lstrip("/")
    points: list[dict[str, float]] = []
    for key, column in ((f"{base}/training_artifacts/step_wise_training_metrics.csv", "training_loss"),
                        (f"{base}/validation_artifacts/post_fine_tuning_validation/validation/"
                         "validation_metrics.csv", "validation_loss")):
        try:
            body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except Exception:  # noqa: BLE001 - not written (yet)
            continue
        for row in csv.DictReader(io.StringIO(body)):
            try:
                points.append({"step": float(row.get("step_number") or row.get("step") or 0),
                               "epoch": float(row.get("epoch_number") or row.get("epoch") or 0),
                               "series": column, "loss": float(row[column])})
            except (KeyError, ValueError):
                continue
    return points


def deploy_bedrock(workspace: Workspace, actor: Actor, job: FineTuneJob, client: Any, *, wait: bool = True,
                   poll_seconds: float = 30.0, timeout_seconds: float = 3600.0) -> dict[str, Any]:
    actor = require(workspace, actor, "finetune")
    if not job.custom_model_arn:
        raise FinetuneError(f"job {job.name} has no custom model yet (status {job.status}): "
                            "deploy once `curator finetune status` says Completed")
    name = f"{job.name}-od"[:63]
    with aws_step("creating the deployment"):
        arn = client.create_custom_model_deployment(
            modelDeploymentName=name, modelArn=job.custom_model_arn, clientRequestToken=hashlib.sha256(
                name.encode()).hexdigest()[:32], description=f"Curator: {job.name}")["customModelDeploymentArn"]
    update_job(workspace, job.id, deployment_arn=arn)
    status = "Creating"
    deadline = time.monotonic() + timeout_seconds
    while wait:
        with aws_step("reading the deployment"):
            status = client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)["status"]
        if status in ("Active", "Failed") or time.monotonic() > deadline:
            break
        time.sleep(poll_seconds)
    if status == "Failed":
        raise FinetuneError(f"the deployment {arn} failed; see the Bedrock console for the reason")
    return {"job": job.name, "deployment_arn": arn, "status": status}


def cleanup_bedrock(workspace: Workspace, actor: Actor, job: FineTuneJob, client: Any, *,
                    keep_model: bool = False) -> dict[str, Any]:
    """Delete the deployment, then the custom model: nothing of the job is billed any more."""
    actor = require(workspace, actor, "finetune")
    removed = []
    if job.deployment_arn:
        with aws_step("deleting the deployment"):
            client.delete_custom_model_deployment(customModelDeploymentIdentifier=job.deployment_arn)
            removed.append(job.deployment_arn)
        update_job(workspace, job.id, deployment_arn=None)
    if job.custom_model_arn and not keep_model:
        with aws_step("deleting the custom model"):
            client.delete_custom_model(modelIdentifier=job.custom_model_arn)
            removed.append(job.custom_model_arn)
        update_job(workspace, job.id, custom_model_arn=None, status="Deleted")
    return {"job": job.name, "removed": removed}


def stop_bedrock(workspace: Workspace, actor: Actor, job: FineTuneJob, client: Any) -> dict[str, Any]:
    actor = require(workspace, actor, "finetune")
    with aws_step(f"stopping {job.name}"):
        client.stop_model_customization_job(jobIdentifier=job.name)
    update_job(workspace, job.id, status="Stopping")
    return {"job": job.name, "status": "Stopping"}
