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
