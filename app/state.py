"""The workspace and the logged-in person, kept per browser session."""

from __future__ import annotations

import argparse
import os
import sys

import streamlit as st

from curator.review.users import Actor
from curator.workspace import Workspace, open_workspace


def workspace_path() -> str | None:
    """``streamlit run app/review_app.py -- --workspace DIR``, else $CURATOR_WORKSPACE, else cwd."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workspace")
    known, _ = parser.parse_known_args(sys.argv[1:])
    return known.workspace or os.environ.get("CURATOR_WORKSPACE")


@st.cache_resource(show_spinner=False)
def _open(path: str | None) -> Workspace:
    return open_workspace(path)


def workspace() -> Workspace:
    return _open(workspace_path())


def actor() -> Actor | None:
    return st.session_state.get("actor")


def go(page: str, **values) -> None:
    """Switch page on the next run (the sidebar's radio is already drawn in this one)."""
    st.session_state["_goto"] = page
    for key, value in values.items():
        st.session_state[key] = value


def session_cookie() -> str | None:
    """The session token the browser sent when this page was loaded (None in AppTest)."""
    from curator.review.sessions import SESSION_COOKIE
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except (AttributeError, RuntimeError):  # no browser behind this run
        return None
    return token if isinstance(token, str) else None  # AppTest has no request behind it


def write_session_cookie(token: str | None) -> None:
    """Set (or, with None, remove) the session cookie in the browser.

    Streamlit has no API to set a cookie, so a one-line script does it. The token is ours
    (URL-safe base64, checked below), never user data, so nothing from a document is markup.
    """
    from curator.review.sessions import (
        SESSION_COOKIE,
        SESSION_LIFETIME,
        is_session_token,
    )
    if token is not None and not is_session_token(token):
        raise ValueError("not a session token")
    value, age = (token, int(SESSION_LIFETIME.total_seconds())) if token else ("", 0)
    st.html(f"""<script>document.cookie = "{SESSION_COOKIE}={value}; path=/; max-age={age}; SameSite=Strict"
 + (location.protocol === "https:" ? "; Secure" : "");</script>""", unsafe_allow_javascript=True)
