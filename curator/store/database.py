"""Engines for the two supported stores and the migrations that keep them current.

SQLite is the embedded default (one file in the workspace); PostgreSQL
(``postgresql+psycopg://...``) is the team store. Both are migrated by the same Alembic
scripts, so a workspace created by an older Curator is upgraded in place, never stranded.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(RuntimeError):
    """The store cannot be reached or is of an unsupported kind."""


def resolve_url(url: str, root: Path) -> str:
    """Make a relative SQLite path relative to the workspace, not to the caller's cwd."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        db_path = Path(parsed.database)
        if not db_path.is_absolute():
            parsed = parsed.set(database=str((root / db_path).resolve()))
    elif parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StoreError(f"unsupported store {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the review UI read while an ingest writes; busy_timeout turns brief lock
    # contention into a wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _private_sqlite_file(database: str | None) -> None:
    """Create the SQLite file (and its WAL companions) readable by the owner only: it holds
    labels, ERP rows and password hashes."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if candidate == path and not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            if candidate.exists() and candidate.stat().st_mode & 0o077 and os.access(candidate, os.W_OK):
                os.chmod(candidate, 0o600)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _private_sqlite_file(parsed.database)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def newest_revision() -> str:
    """The head revision, read from the migration files' names (``0012_field_states.py`` is
    revision ``0012``; a test holds the files to that): opening a workspace that is up to date
    costs one query, not Alembic's import and script scan."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no table yet (a new store), or any reason to let Alembic look
        return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and _stored_revision(engine) == newest_revision():
        return  # up to date
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
