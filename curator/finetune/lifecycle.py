"""Status, list, stop, deploy, delete and clean up, whichever provider ran the job; the loss
curve as a PNG report beside the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curator.finetune.bedrock import bedrock_status, cleanup_bedrock, deploy_bedrock, stop_bedrock
from curator.finetune.jobs import FinetuneError, get_job, list_jobs, update_job
from curator.finetune.sagemaker import sagemaker_status, stop_sagemaker
from curator.access import Actor, require
from curator.workspace import Workspace


def _client(workspace: Workspace, service: str, given: Any) -> Any:
    """The client a caller passed (tests, the UI), else a real one in the workspace's region."""
    if given is not None:
        return given
    import boto3

    return boto3.client(service, region_name=workspace.config.finetune.region)


def _service(job) -> str:
    return "bedrock" if job.provider == "bedrock" else "sagemaker"


def job_status(workspace: Workspace, actor: Actor, name: str, *, client: Any = None, s3_client: Any = None,
               chart: bool = True) -> dict[str, Any]:
    """A job's status from its provider: stage timeline, failure message, loss curve.

    >>> job_status(workspace, "ana", "curator-ft-1a2b")["status"]
    """
    actor = require(workspace, actor, "read")
    job = get_job(workspace, name)
    client, s3_client = _client(workspace, _service(job), client), _client(workspace, "s3", s3_client)
    status = (bedrock_status if job.provider == "bedrock" else sagemaker_status)(workspace, job, client, s3_client)
    if chart and status["loss"]:
        status["loss_png"] = str(loss_chart(status["loss"], workspace.root / "reports" / "finetune" / job.name /
                                            "loss.png", title=f"{job.name} ({job.base_model})"))
    return status


def loss_chart(points: list[dict[str, float]], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4), dpi=120)
    for series in sorted({p["series"] for p in points}):
        xs = [p["step"] for p in points if p["series"] == series]
        ys = [p["loss"] for p in points if p["series"] == series]
        axes.plot(xs, ys, marker="o" if series == "validation_loss" else None, markersize=3,
                  label=series.replace("_", " "))
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path


def jobs_overview(workspace: Workspace, actor: Actor) -> list[dict[str, Any]]:
    """Every fine-tuning job of the workspace, newest first."""
    actor = require(workspace, actor, "read")
    return [{"name": j.name, "provider": j.provider, "base_model": j.base_model, "export": j.export_id,
             "status": j.status, "custom_model_arn": j.custom_model_arn, "deployment_arn": j.deployment_arn,
             "created_by": j.created_by, "created_at": j.created_at.isoformat()} for j in list_jobs(workspace)]


def stop_job(workspace: Workspace, actor: Actor, name: str, *, client: Any = None) -> dict[str, Any]:
    """Stop a running job at its provider (authors and admins)."""
    actor = require(workspace, actor, "finetune")
    job = get_job(workspace, name)
    client = _client(workspace, _service(job), client)
    return (stop_bedrock if job.provider == "bedrock" else stop_sagemaker)(workspace, actor, job, client)


def deploy_job(workspace: Workspace, actor: Actor, name: str, *, client: Any = None, wait: bool = True,
               poll_seconds: float = 30.0) -> dict[str, Any]:
    """Deploy a finished Bedrock job's custom model for on-demand inference (authors and admins)."""
    actor = require(workspace, actor, "finetune")
    job = get_job(workspace, name)
    if job.provider != "bedrock":
        raise FinetuneError("deploy serves Bedrock custom models on demand; a SageMaker job's adapter is in "
                            "its model artifacts (serve it with vLLM or a SageMaker endpoint)")
    client = _client(workspace, _service(job), client)
    return deploy_bedrock(workspace, actor, job, client, wait=wait, poll_seconds=poll_seconds)


def cleanup_job(workspace: Workspace, actor: Actor, name: str, *, client: Any = None,
                keep_model: bool = False) -> dict[str, Any]:
    """``cleanup``: deployment and custom model; ``delete`` (keep_model=False too) forgets the job as well."""
    actor = require(workspace, actor, "finetune")
    job = get_job(workspace, name)
    if job.provider != "bedrock":
        update_job(workspace, job.id, status="Deleted")
        return {"job": job.name, "removed": []}
    client = _client(workspace, _service(job), client)
    return cleanup_bedrock(workspace, actor, job, client, keep_model=keep_model)


def timeline_of(workspace: Workspace, name: str) -> list[dict[str, Any]]:
    return json.loads(get_job(workspace, name).timeline)
