"""What the root command hands to its subcommands, and opening the workspace once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from curator.cli.output import fail
from curator.config import ConfigError
from curator.store.database import StoreError
from curator.workspace import Workspace, WorkspaceError, open_workspace


@dataclass
class CliState:
    workspace: Path | None = None


@contextmanager
def workspace_from(ctx: typer.Context) -> Iterator[Workspace]:
    state: CliState = ctx.obj or CliState()
    try:
        workspace = open_workspace(state.workspace)
    except (WorkspaceError, StoreError, ConfigError) as exc:
        raise fail(str(exc)) from None
    try:
        yield workspace
    finally:
        workspace.close()
