"""Log-in: name and password, checked against the workspace's argon2 hashes.

The page says nothing about the server (no paths, no workspace name): anyone who can reach
it sees it. Failed attempts are rate-limited per user name and per address in the domain.
"""

from __future__ import annotations

import streamlit as st

from app.state import workspace, write_session_cookie
from curator.review.sessions import start_session
from curator.review.users import LoginFailed, authenticate
from curator.text import plain


def _address() -> str | None:
    try:
        address = st.context.ip_address
    except AttributeError:  # older Streamlit
        return None
    return address if isinstance(address, str) else None  # AppTest has no socket behind it


def render() -> None:
    st.title("Curator review")
    if st.session_state.pop("forget_cookie", False):
        write_session_cookie(None)
    if st.session_state.get("signed_out"):
        st.info(plain(st.session_state["signed_out"]))
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            me = authenticate(workspace(), name, password, address=_address())
        except LoginFailed as exc:
            st.error(str(exc))
            return
        # A reload starts a new Streamlit session: the cookie's token logs the reviewer back in.
        st.session_state["actor"], st.session_state["session_token"] = me, start_session(workspace(), me)
        st.session_state.pop("signed_out", None)
        st.rerun()
