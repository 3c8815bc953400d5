"""Command tree: ``curator init | samples | ingest | docs | db | demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli import (commands_curate, commands_docs, commands_erp, commands_evaluate, commands_finetune,
                         commands_ingest, commands_labelstudio, commands_review, commands_schema, commands_teach,
                         commands_workspace)
from curator.cli.context import CliState

app = typer.Typer(
    name="curator",
    help="Turn historic documents and ERP records into fine-tuning datasets for document VLMs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Annotated[
        Optional[Path],
        typer.Option("--workspace", "-w", help="Workspace folder (default: $CURATOR_WORKSPACE, then the current directory)."),
    ] = None,
    user: Annotated[
        Optional[str],
        typer.Option("--as", help="Act as this workspace user (default: $CURATOR_USER, then the local admin).",
                     metavar="NAME"),
    ] = None,
) -> None:
    ctx.obj = CliState(workspace=workspace, user=user)


commands_workspace.register(app)
commands_ingest.register(app)
commands_docs.register(app)
commands_erp.register(app)
commands_curate.register(app)
commands_teach.register(app)
commands_review.register(app)
commands_labelstudio.register(app)
commands_finetune.register(app)
commands_evaluate.register(app)
commands_schema.register(app)
