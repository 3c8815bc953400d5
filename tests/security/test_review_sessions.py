"""Review sessions: a reload keeps the reviewer in, and nothing else does (both stores)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from curator.review.sessions import end_session, resume_session, start_session
from curator.review.users import add_user, disable_user
from curator.store.models import ReviewSession

PASSWORD = "correct horse battery"


@pytest.fixture
def rita(workspace):
    return add_user(workspace, "rita", "reviewer", PASSWORD, by="admin")


def test_a_token_resumes_its_user_until_logged_out(workspace, rita):
    token = start_session(workspace, rita)
    assert resume_session(workspace, token) == rita
    end_session(workspace, token)
    assert resume_session(workspace, token) is None
    with workspace.session() as session:
        stored = session.exec(select(ReviewSession)).one()
    assert stored.token_sha256 != token and token not in stored.token_sha256  # only the hash is kept


def test_expired_forged_and_disabled_sessions_log_nobody_in(workspace, rita):
    expired = start_session(workspace, rita, lifetime=timedelta(seconds=-1))
    assert resume_session(workspace, expired) is None
    live = start_session(workspace, rita)
    forged = live[:-1] + ("A" if live[-1] != "A" else "B")
    for token in (forged, "", None, "x" * 43, "<script>", live + "extra"):
        assert resume_session(workspace, token) is None
    disable_user(workspace, "rita", by="admin")
    assert resume_session(workspace, live) is None  # disabling ends every session at once


def test_a_session_carries_the_role_as_stored_now(workspace, rita):
    token = start_session(workspace, rita)
    add_user(workspace, "rita", "viewer", PASSWORD, by="admin")
    resumed = resume_session(workspace, token)
    assert resumed is not None and resumed.role == "viewer"
