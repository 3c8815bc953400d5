"""Curator: bootstrap fine-tuning datasets for document VLMs from ERP history.

Every pipeline stage is a plain function over a :class:`curator.workspace.Workspace`
that returns a report; the CLI, the Streamlit app and the tests call the same functions.
"""

__version__ = "0.1.0"
