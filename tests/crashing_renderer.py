"""A render function for the worker-crash test: it kills its own worker process on files
whose name says so, the way a segfault inside PDFium would."""

from __future__ import annotations

import os
from pathlib import Path

from curator.ingest.worker import RenderJob, RenderResult, render_job


def render_or_die(job: RenderJob) -> RenderResult:
    if Path(job.path).name.startswith("killer"):
        os._exit(139)
    return render_job(job)
