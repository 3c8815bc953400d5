"""Review sessions that survive a reload: a random token in a cookie, its hash in the store.

Streamlit forgets a browser's state on every reload, so without this F5 logs the reviewer
out. The browser keeps an opaque random token; the store keeps only its SHA-256, whose it is
and when it expires. A reload finds the reviewer again; logging out or disabling the account
ends the session on every server process at once; a copy of the database logs nobody in.

>>> token = start_session(workspace, actor)      # after a good password
>>> resume_session(workspace, token)              # on the next page load -> Actor or None
>>> end_session(workspace, token)                 # log-out
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlmodel import col, select

from curator.access import Actor
from curator.review.users import current_user
from curator.store.models import ReviewSession, utcnow
from curator.workspace import Workspace

SESSION_COOKIE = "curator_session"
SESSION_LIFETIME = timedelta(hours=12)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32); anything else is not ours


def is_session_token(token: object) -> bool:
    """Whether ``token`` has the shape of one of ours (anything else is never looked up)."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _open(token: str):
    """The not-yet-ended session of this token (the store holds only the token's SHA-256)."""
    return select(ReviewSession).where(ReviewSession.token_sha256 == _digest(token),
                                       col(ReviewSession.ended_at).is_(None))


def start_session(workspace: Workspace, actor: Actor, *, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """A new session for someone who just logged in; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with workspace.session() as session:
        session.add(ReviewSession(token_sha256=_digest(token), user_name=actor.name,
                                  expires_at=utcnow() + lifetime))
        session.commit()
    return token


def resume_session(workspace: Workspace, token: str | None) -> Actor | None:
    """Who this token logs in, as stored now; None when it is unknown, ended, expired or disabled."""
    if not is_session_token(token):
        return None
    with workspace.session() as session:
        row = session.exec(_open(token).where(ReviewSession.expires_at > utcnow())).first()
        name = row.user_name if row is not None else None
    return current_user(workspace, name) if name is not None else None


def end_session(workspace: Workspace, token: str | None) -> None:
    """Log out: the token stops working everywhere, even if the browser kept the cookie."""
    if not is_session_token(token):
        return
    with workspace.session() as session:
        row = session.exec(_open(token)).first()
        if row is not None:
            row.ended_at = utcnow()
            session.add(row)
            session.commit()
