"""Log-in: name and password, checked against the workspace's argon2 hashes."""

from __future__ import annotations

import streamlit as st

from app.state import workspace
from curator.review.users import LoginFailed, authenticate


def render() -> None:
    st.title("Curator review")
    st.caption(f"workspace: {workspace().root}")
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            st.session_state["actor"] = authenticate(workspace(), name, password)
        except LoginFailed as exc:
            st.error(str(exc))
            return
        st.rerun()
