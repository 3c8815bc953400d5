"""Workspaces: creation, discovery, configuration errors, and migrations on both stores."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from curator.config import ConfigError, load_config
from curator.store.database import StoreError, current_revision, head_revision, make_engine, upgrade
from curator.workspace import WorkspaceError, find_workspace_root, init_workspace, open_workspace


def test_init_creates_config_store_and_blobs(workspace):
    root = workspace.root
    assert (root / "curator.toml").is_file()
    assert workspace.blobs.root.is_dir()
    assert current_revision(workspace.engine) == head_revision()
    tables = set(inspect(workspace.engine).get_table_names())
    assert {"document", "page", "source_file", "quarantine_entry", "alembic_version"} <= tables


def test_init_twice_keeps_the_workspace(workspace):
    again = init_workspace(workspace.root)
    assert again.config.store.url == workspace.config.store.url
    again.close()


def test_init_refuses_to_switch_store_silently(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ws.close()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        init_workspace(tmp_path / "ws", db_url="sqlite:///other.db")


def test_migrations_match_the_models(workspace):
    """The shipped migrations create exactly what the models declare (no drift)."""
    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrations_downgrade_and_upgrade_again(workspace):
    upgrade(workspace.engine, "head")
    from alembic import command

    from curator.store.database import alembic_config

    config = alembic_config()
    with workspace.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "document" not in inspect(workspace.engine).get_table_names()
    upgrade(workspace.engine)
    assert current_revision(workspace.engine) == head_revision()


def test_workspace_discovery_order(tmp_path, monkeypatch):
    a = init_workspace(tmp_path / "a")
    b = init_workspace(tmp_path / "b")
    a.close(), b.close()
    monkeypatch.setenv("CURATOR_WORKSPACE", str(tmp_path / "b"))
    monkeypatch.chdir(tmp_path / "a")
    assert find_workspace_root(tmp_path / "a") == (tmp_path / "a").resolve()  # --workspace wins
    assert find_workspace_root() == (tmp_path / "b").resolve()  # then the environment
    monkeypatch.delenv("CURATOR_WORKSPACE")
    (tmp_path / "a" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "a" / "sub")
    assert find_workspace_root() == (tmp_path / "a").resolve()  # then cwd and its parents


def test_missing_workspace_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATOR_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match="curator init"):
        open_workspace()


def test_bad_config_names_the_key(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ws.close()
    (tmp_path / "ws" / "curator.toml").write_text('[ingest]\ndpi = "high"\nworkerz = 3\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "ws")
    assert "ingest.dpi" in str(info.value) and "ingest.workerz" in str(info.value)


def test_unreachable_postgres_is_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot reach the store"):
        init_workspace(tmp_path / "ws", db_url="postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_store_error_hides_the_password(tmp_path):
    with pytest.raises(StoreError) as info:
        init_workspace(tmp_path / "ws", db_url="postgresql+psycopg://nobody:supersecret@127.0.0.1:1/none")
    assert "supersecret" not in str(info.value)


def test_relative_sqlite_path_is_inside_the_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = init_workspace(tmp_path / "ws")
    assert (tmp_path / "ws" / "curator.db").exists()
    ws.close()


def test_engine_for_postgres_migrates(postgres_url):
    engine = make_engine(postgres_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_the_data(tmp_path, store_url):
    """A workspace made by the first release opens with today's code, its rows intact."""
    from sqlalchemy import text

    from store_rows import insert_document

    url = store_url or f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        insert_document(connection)
        connection.execute(text(
            "INSERT INTO page (document_sha256, \"index\", blob_key, width, height, phash, needs_ocr, text)"
            " VALUES ('ab', 0, 'k', 1, 1, '0', true, '')"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT file_name FROM document")).scalar_one() == "old.pdf"
        assert connection.execute(text("SELECT ocr_text FROM page")).scalar_one() is None
        assert connection.execute(text("SELECT count(*) FROM erp_record")).scalar_one() == 0
    engine.dispose()


def test_the_fast_head_revision_is_alembics():
    """Opening an up-to-date workspace reads the head from the migration file names: they must
    agree with Alembic's own chain."""
    from curator.store.database import newest_revision

    assert newest_revision() == head_revision()
