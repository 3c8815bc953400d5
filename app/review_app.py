"""Curator review UI: ``curator review`` runs ``streamlit run app/review_app.py -- --workspace DIR``."""

from __future__ import annotations

import streamlit as st

from app.state import actor, session_cookie, workspace, write_session_cookie
from app.views import dashboard, evaluation, finetune, login, queue, review
from curator.review.leases import release
from curator.review.queue import label_for_document
from curator.review.sessions import end_session, resume_session
from curator.review.users import current_user
from curator.text import plain

PAGES = {"Queue": queue.render, "Review": review.render, "Dashboard": dashboard.render, "Fine-tune": finetune.render,
         "Evaluation": evaluation.render}

st.set_page_config(page_title="Curator review", layout="wide")

me = actor()
if me is None:
    token = session_cookie()  # a reload: the browser still holds the session of the last log-in
    me = resume_session(workspace(), token)
    if me is not None:
        st.session_state["actor"], st.session_state["session_token"] = me, token
elif me is not None:
    # Read the user from the store on every run: disabling or demoting someone takes effect
    # at their next click, not at their next log-in.
    current = current_user(workspace(), me)
    if current is None:
        end_session(workspace(), st.session_state.get("session_token"))
        st.session_state.clear()
        st.session_state["forget_cookie"] = True
        st.session_state["signed_out"] = "You were signed out: your account is disabled or no longer exists."
    else:
        st.session_state["actor"] = current
    me = current
if me is None:
    login.render()
else:
    wanted = st.query_params.get("doc")  # ?doc=<sha256 or a prefix>: the link the queue gives
    if wanted and st.session_state.get("opened_doc") != wanted:
        st.session_state["opened_doc"] = wanted
        label_id = label_for_document(workspace(), me, wanted)
        if label_id is None:
            st.session_state["flash"] = (f"No document {plain(wanted[:16])} in this workspace (or more than one: "
                                         "give more of its sha256).")
        else:
            st.session_state["_goto"], st.session_state["label_id"] = "Review", label_id
    if "_goto" in st.session_state:
        st.session_state["nav"] = st.session_state.pop("_goto")
    with st.sidebar:
        if st.session_state.get("session_token"):
            write_session_cookie(st.session_state["session_token"])
        st.markdown(f"**{plain(me.name)}** · {me.role}")
        st.radio("Go to", list(PAGES), key="nav")
        if st.button("Log out", key="logout"):
            if me.can("edit") and st.session_state.get("label_id") is not None:
                release(workspace(), me, st.session_state["label_id"])
            end_session(workspace(), st.session_state.get("session_token"))
            st.session_state.clear()
            st.session_state["forget_cookie"] = True
            st.rerun()
    PAGES[st.session_state.get("nav", "Queue")]()
