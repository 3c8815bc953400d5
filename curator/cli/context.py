"""What the root command hands to its subcommands, and opening the workspace once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from curator.access import LOCAL_ADMIN, USER_ENV, PermissionDenied
from curator.cli.output import fail
from curator.config import ConfigError
from curator.store.database import StoreError
from curator.workspace import Workspace, WorkspaceError, open_workspace


@dataclass
class CliState:
    workspace: Path | None = None
    user: str | None = None  # --as; else $CURATOR_USER; else the local admin `curator init` made


def acting_user(ctx: typer.Context) -> str:
    """The workspace user this command acts as: every acting domain function checks them."""
    state: CliState = ctx.find_root().obj or CliState()
    return state.user or os.environ.get(USER_ENV) or LOCAL_ADMIN


@contextmanager
def workspace_from(ctx: typer.Context) -> Iterator[Workspace]:
    state: CliState = ctx.obj or CliState()
    try:
        workspace = open_workspace(state.workspace)
    except (WorkspaceError, StoreError, ConfigError) as exc:
        raise fail(str(exc)) from None
    try:
        yield workspace
    except PermissionDenied as exc:
        raise fail(str(exc)) from None
    finally:
        workspace.close()
