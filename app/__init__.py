"""The Streamlit UI: pages only. Every decision is made by ``curator.review`` and friends."""
