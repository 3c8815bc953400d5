"""A workspace: one folder holding ``curator.toml``, with its store and its blob store.

Every stage takes a :class:`Workspace`. Opening one migrates its store to the current
schema, so a workspace created by an older Curator keeps working after an upgrade.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from curator.blobs import BlobStore, open_blob_store
from curator.config import (
    CONFIG_FILE,
    ConfigError,
    WorkspaceConfig,
    load_config,
    save_config,
)
from curator.store.database import StoreError, make_engine, resolve_url, upgrade

WORKSPACE_ENV = "CURATOR_WORKSPACE"


class WorkspaceError(RuntimeError):
    """No usable workspace at the given place."""


@dataclass
class Workspace:
    root: Path
    config: WorkspaceConfig
    engine: Engine
    blobs: BlobStore

    @property
    def store_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _connect(config: WorkspaceConfig, root: Path) -> Engine:
    url = resolve_url(config.store.url, root)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        safe = engine.url.render_as_string(hide_password=True)
        reason = (str(exc.orig).strip().splitlines() or [""])[0]
        raise StoreError(f"cannot reach the store at {safe}: {reason}") from exc
    upgrade(engine)
    return engine


def init_workspace(directory: Path, *, db_url: str | None = None, name: str | None = None,
                   blobs_url: str | None = None) -> Workspace:
    """Create (or re-open) a workspace. Safe to run twice: an existing config is kept.
    ``blobs_url``: ``s3://bucket/prefix`` for a blob store in S3 (default: a ``blobs`` folder)."""
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if (root / CONFIG_FILE).exists():
        config = load_config(root)
        if db_url and db_url != config.store.url:
            raise WorkspaceError(
                f"{root} is already a workspace with store {config.store.url!r}; "
                "edit curator.toml to move it"
            )
        if blobs_url and blobs_url != config.blobs.url:
            raise WorkspaceError(f"{root} is already a workspace with blobs at {config.blobs.url!r}")
    else:
        config = WorkspaceConfig(name=name or root.name)
        if db_url:
            config.store.url = db_url
        if blobs_url:
            config.blobs.url = blobs_url
    engine = _connect(config, root)
    save_config(root, config)
    blobs = open_blob_store(config.blobs.url, root)
    if blobs.root is not None:
        blobs.root.mkdir(parents=True, exist_ok=True)
    else:
        _check_bucket(blobs)
    return Workspace(root=root, config=config, engine=engine, blobs=blobs)


def _check_bucket(blobs) -> None:
    """An S3 blob store must be reachable now, not at the first page of the first ingest."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        blobs.client.head_bucket(Bucket=blobs.bucket)
    except (ClientError, BotoCoreError) as exc:
        raise WorkspaceError(f"cannot use the blob store {blobs.url}: {exc}") from None


def find_workspace_root(explicit: Path | None = None) -> Path:
    """--workspace, then $CURATOR_WORKSPACE, then the current directory and its parents."""
    if explicit is not None:
        candidates = [Path(explicit)]
    elif os.environ.get(WORKSPACE_ENV):
        candidates = [Path(os.environ[WORKSPACE_ENV])]
    else:
        here = Path.cwd().resolve()
        candidates = [here, *here.parents]
    for candidate in candidates:
        if (candidate / CONFIG_FILE).is_file():
            return candidate.resolve()
    where = candidates[0] if len(candidates) == 1 else Path.cwd()
    raise WorkspaceError(
        f"no workspace at {where} (no {CONFIG_FILE}); run `curator init DIR` or pass --workspace"
    )


def open_workspace(explicit: Path | None = None) -> Workspace:
    root = find_workspace_root(explicit)
    try:
        config = load_config(root)
    except ConfigError as exc:
        raise WorkspaceError(str(exc)) from exc
    engine = _connect(config, root)
    return Workspace(root=root, config=config, engine=engine, blobs=open_blob_store(config.blobs.url, root))
