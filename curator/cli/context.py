"""What the root command hands to its subcommands, and opening the workspace once.

Command modules import only typer and this package at the top; what a command needs (the
store, pandas, boto3, Label Studio's SDK) it imports when it runs, so `curator --help` and
every command start without loading the others' libraries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from curator.access import LOCAL_ADMIN, USER_ENV, PermissionDenied
from curator.cli.output import fail

if TYPE_CHECKING:
    from curator.workspace import Workspace


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
    # The store's libraries load here, when a command needs the workspace: `--help` stays fast.
    from curator.config import ConfigError
    from curator.store.database import StoreError
    from curator.workspace import WorkspaceError, open_workspace

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
