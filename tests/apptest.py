"""Driving the review UI headless (Streamlit's AppTest): log in, open one document."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app" / "review_app.py")


def review_page(name: str, password: str, label_id: int) -> AppTest:
    """The review page of one label, as ``name`` sees it after logging in (CURATOR_WORKSPACE set)."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    at.session_state["label_id"] = label_id
    at.session_state["nav"] = "Review"
    at.run()
    assert not at.exception, at.exception
    return at
