"""``curator labelstudio push|pull``."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from curator.cli.context import workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.cli.context import acting_user

labelstudio_app = typer.Typer(help="Push pre-annotated documents to Label Studio, pull human labels back.",
                              no_args_is_help=True)

UrlOption = Annotated[str, typer.Option("--url", help="Label Studio address, e.g. http://localhost:8080")]
TokenOption = Annotated[Optional[str], typer.Option("--token", help="Personal access token or legacy token (default: $LABEL_STUDIO_API_KEY).")]
ProjectOption = Annotated[str, typer.Option("--project", help="Project title (created on the first push).")]
SchemaOption = Annotated[str, typer.Option("--schema", help="invoice or w2.")]
JsonOption = Annotated[bool, typer.Option("--json")]


def register(app: typer.Typer) -> None:
    app.add_typer(labelstudio_app, name="labelstudio")


def _client(url: str, token: str | None):
    from curator.labelstudio.client import LabelStudioError, connect
    token = token or os.environ.get("LABEL_STUDIO_API_KEY")
    if not token:
        raise fail("a token is needed: --token or $LABEL_STUDIO_API_KEY")
    try:
        return connect(url, token)
    except LabelStudioError as exc:
        raise fail(str(exc)) from None


@labelstudio_app.command("push")
def push_command(
    ctx: typer.Context,
    url: UrlOption,
    project: ProjectOption,
    token: TokenOption = None,
    schema: SchemaOption = "invoice",
    status: Annotated[list[str], typer.Option("--status", help="Label statuses to push (repeatable).")] = ["needs_review"],  # noqa: B006
    storage: Annotated[Optional[str], typer.Option("--storage", help="local (Local Files) or s3; default: s3 when the workspace's blobs are in S3 (read in place), else local.")] = None,
    local_root: Annotated[Optional[str], typer.Option("--local-root", help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT.")] = None,
    s3: Annotated[Optional[str], typer.Option("--s3", help="s3://bucket/prefix to copy page images to (storage s3; not needed when the workspace's blobs are in S3).")] = None,
    s3_endpoint: Annotated[Optional[str], typer.Option("--s3-endpoint", help="S3-compatible endpoint for Label Studio's storage (MinIO).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=5000)] = 500,
    json_output: JsonOption = False,
) -> None:
    """Create or update the project (interface from the schema) and push documents with predictions."""
    from curator.labelstudio.client import LabelStudioError
    from curator.labelstudio.push import push
    from curator.progress import rich_progress
    client = _client(url, token)
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output) as progress:
                report = push(workspace, client, url.rstrip("/"), actor=acting_user(ctx), project=project, schema_name=schema,
                              statuses=tuple(status), storage=storage, local_root=local_root, s3_prefix=s3,
                              s3_endpoint=s3_endpoint, chunk_size=chunk_size, progress=progress)
        except LabelStudioError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(f"project {project} (id {report.project_id}{', created' if report.project_created else ''}"
                      f"{', interface updated' if report.config_updated else ''}): {report.tasks_created} tasks "
                      f"created in {report.chunks} chunks, {report.predictions_updated} predictions updated, "
                      f"{report.unchanged} unchanged ({report.seconds:.1f}s)")


@labelstudio_app.command("pull")
def pull_command(
    ctx: typer.Context,
    url: UrlOption,
    project: ProjectOption,
    token: TokenOption = None,
    schema: SchemaOption = "invoice",
    json_output: JsonOption = False,
) -> None:
    """Bring submitted annotations back (typed by the schema, provenance human, audit logged)."""
    from curator.labelstudio.client import LabelStudioError
    from curator.labelstudio.pull import pull
    client = _client(url, token)
    with workspace_from(ctx) as workspace:
        try:
            report = pull(workspace, client, url.rstrip("/"), actor=acting_user(ctx), project=project, schema_name=schema)
        except LabelStudioError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
        return
    console.print(f"{report.tasks_seen} tasks changed: {report.applied} annotations applied ({report.approved} "
                  f"approved, {report.sent_to_review} sent to review), {report.skipped} skipped, "
                  f"{report.unchanged} unchanged")
    if report.problems:
        print_table("Sent to review", ["document", "reason", "detail"],
                    [(p["document"][:12], p["reason"], p["detail"]) for p in report.problems])
