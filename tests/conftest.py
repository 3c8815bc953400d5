"""Shared fixtures: every store-touching test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``CURATOR_TEST_POSTGRES_URL`` (``make test`` starts a throwaway
server and sets it); each test gets a database of its own. Without the variable the
PostgreSQL half is skipped, unless ``CURATOR_REQUIRE_POSTGRES=1`` makes that an error.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from curator.samples.corpus import generate_corpus  # noqa: E402
from curator.workspace import Workspace, init_workspace, open_workspace  # noqa: E402

POSTGRES_ENV = "CURATOR_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CURATOR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set but PostgreSQL tests are required")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (make test sets it)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    admin_url = _postgres_admin_url()
    name = f"curator_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str | None:
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def workspace(tmp_path: Path, store_url: str | None) -> Iterator[Workspace]:
    ws = init_workspace(tmp_path / "ws", db_url=store_url)
    ws.config.ingest.workers = 1
    yield ws
    ws.close()


@pytest.fixture
def ws(prepared, tmp_path) -> Iterator[Workspace]:
    """A copy of the test module's ``prepared`` workspace (an SQLite folder), so each test
    starts from the same bootstrapped state without redoing OCR and matching."""
    shutil.copytree(prepared, tmp_path / "ws")
    workspace = open_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def small_corpora(tmp_path_factory) -> dict[str, Path]:
    """Small W-2 and invoice corpora (with scans), generated once per test session."""
    root = tmp_path_factory.mktemp("corpora")
    return {
        kind: (generate_corpus(kind, 14, seed=11, out=root / kind, noise=0.5), root / kind)[1]
        for kind in ("w2", "invoices")
    }
